"""OCPP messages in, typed faults and conformance warnings out. Pure: no I/O."""
