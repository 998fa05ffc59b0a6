"""Reliability figures from incidents, status periods and connectivity: MTTR, MTBF, NEVI port
uptime, charging success rate, and the EV-ChART modules.

Pure: plain values in (the tracker's own `Incident`, `StatusChange`, `ConnectivityChange`),
frozen rows out. The API (from the database) and `evfault analyze` (from log files) both call
these functions, so the same history always gives the same numbers.
"""

from evfault.analytics.model import ChargerInfo, Window
from evfault.analytics.mttr import MtbfRow, MttrRow, mtbf, mttr, repair_outcome
from evfault.analytics.sessions import SuccessRow, success_rate
from evfault.analytics.uptime import (
    NEVI_YEAR_MIN,
    Exclusion,
    Outage,
    PortUptime,
    monthly_uptime,
    outages,
    port_uptime,
    uptime_pct,
)

__all__ = [
    "NEVI_YEAR_MIN", "ChargerInfo", "Exclusion", "MtbfRow", "MttrRow", "Outage", "PortUptime",
    "SuccessRow", "Window", "monthly_uptime", "mtbf", "mttr", "outages", "port_uptime",
    "repair_outcome", "success_rate", "uptime_pct",
]
