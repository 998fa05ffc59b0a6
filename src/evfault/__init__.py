"""evfault: EV-charger error codes turned into something people can act on."""

__version__ = "0.1.0"
