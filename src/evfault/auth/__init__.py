"""Trust: which chargers may connect (the registry and its gate) and who may look and act.

The pure parts (decisions, counters, detectors, rate limits) take plain values and a time;
the service (service.py) wires them to the store, the bus and the web app.
"""
