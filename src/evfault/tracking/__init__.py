"""Per connector: the set of active errors; per charger: connectivity. Pure: no I/O."""
