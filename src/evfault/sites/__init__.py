"""Sites: a fuse limit shared by chargers, a meter and an EMS, protected while things go offline.

The core (model, config, allocate) is pure; sources (Modbus), enforcement (OCPP profiles) and
notifications are the edges around it.
"""
