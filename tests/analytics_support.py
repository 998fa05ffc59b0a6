"""Shared facts for the analytics tests: the hand-computed uptime example.

Port CP-1/1 over the calendar year 2026 (365 days, so P = 525,600 minutes):

    Faulted        2026-03-01 10:00 → 14:30                       270 min
    Unavailable    2026-06-10 08:00 → 06-11 08:00 (excluded, 3)   1440 min
    charger offline 2026-09-05 22:00 → 09-06 01:15                195 min
    Faulted        2026-11-20 12:00 → 13:00, with CX001 active 12:00 → 13:20 (merged)  80 min
    a warning (reported with Charging) 2026-12-01 10:00 → 11:00   not an outage

    T_outage = 270 + 1440 + 195 + 80 = 1985 min,  T_excluded = 1440 min
    µ = (525600 − (1985 − 1440)) / 525600 × 100 = 525055 / 525600 × 100 = 99.89630898 %

Port CP-1/2 of the same charger is only out while the charger is offline: 195 min,
µ = (525600 − 195) / 525600 × 100 = 99.96289954 %.
"""

from __future__ import annotations

from datetime import UTC, datetime

YEAR = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
P_MIN = 525_600
CP1_OUTAGE_MIN = 1985
CP1_EXCLUDED_MIN = 1440
CP1_UPTIME = (P_MIN - (CP1_OUTAGE_MIN - CP1_EXCLUDED_MIN)) / P_MIN * 100
CP2_OUTAGE_MIN = 195
CP2_UPTIME = (P_MIN - CP2_OUTAGE_MIN) / P_MIN * 100
EXCLUDED_START = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# ---- the server's message path over a real store, driven by a script of timed events -------

Script = list[tuple[str, str, datetime, str]]  # (in|connect|disconnect, charger, at, frame)


def status(connector: int, state: str, code: str = "NoError", **extra: str) -> str:
    import orjson

    payload = {"connectorId": connector, "status": state, "errorCode": code, **extra}
    return orjson.dumps([2, f"s{connector}{state}", "StatusNotification", payload]).decode()


BOOT = ('[2,"b","BootNotification",{"chargePointVendor":"Acme","chargePointModel":"X1",'
        '"firmwareVersion":"1.2"}]')


def uptime_script() -> Script:
    """The year of the module docstring as what CP-1 sent and when it connected."""
    chx = {"vendorId": "https://chargex.inl.gov", "vendorErrorCode": "CX001"}
    return [
        ("connect", "CP-1", at(1, 1, 0), ""), ("in", "CP-1", at(1, 1, 0), BOOT),
        ("in", "CP-1", at(1, 1, 0), status(1, "Available")),
        ("in", "CP-1", at(1, 1, 0), status(2, "Available")),
        ("in", "CP-1", at(3, 1, 10), status(1, "Faulted", "GroundFailure")),
        ("in", "CP-1", at(3, 1, 14, 30), status(1, "Available")),
        ("in", "CP-1", at(6, 10, 8), status(1, "Unavailable")),
        ("in", "CP-1", at(6, 11, 8), status(1, "Available")),
        ("in", "CP-1", at(9, 5, 22), '[2,"h","Heartbeat",{}]'),
        ("disconnect", "CP-1", at(9, 5, 22), ""),
        ("connect", "CP-1", at(9, 6, 1, 15), ""), ("in", "CP-1", at(9, 6, 1, 15), BOOT),
        ("in", "CP-1", at(11, 20, 12), status(1, "Faulted", "OtherError", **chx)),
        ("in", "CP-1", at(11, 20, 13, 20), status(1, "Available")),
        ("in", "CP-1", at(12, 1, 10), status(1, "Charging", "HighTemperature")),
        ("in", "CP-1", at(12, 1, 11), status(1, "Finishing")),
        ("in", "CP-1", at(12, 1, 11, 5), status(1, "Available")),
    ]


async def run_script(db_url: str, script: Script, heartbeat_interval: float = 0) -> None:
    """What the live server does with each event (ocpp/central.py): the message path's batch
    committed to the store, the tracker ticked as time passes."""
    from evfault.ocpp.central import new_incident_id
    from evfault.pipeline import MessagePath, PathConfig, tick_batch
    from evfault.store.sql import open_store
    from evfault.tracking.config import TrackerConfig
    from evfault.tracking.tracker import Tracker

    store = open_store(db_url)
    await store.start()
    try:
        tracker = Tracker(TrackerConfig(heartbeat_interval=heartbeat_interval), new_incident_id)
        path = MessagePath(tracker, PathConfig())
        for kind, charger, when, frame in script:
            await store.write(tick_batch(path.tick(when)))
            if kind == "connect":
                done = path.connected(charger, "1.6", when)
            elif kind == "disconnect":
                done = path.disconnected(charger, when)
            else:
                done = path.incoming(charger, "1.6", frame, when)
                assert done.error is None, done.answer
            await store.write(done.batch)
        await store.write(tick_batch(path.tick(script[-1][2])))
    finally:
        await store.close()
