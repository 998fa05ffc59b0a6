"""Virtual chargers that speak real OCPP-J and report faults the way hardware does.

    from evfault.sim import load_scenario, run_fleet
    stats = await run_fleet("ws://127.0.0.1:8180/ocpp", load_scenario("demo"), seed=1,
                            duration=60)

`evfault.sim.mrec` is the MREC message builder on its own, for firmware authors.
"""

from evfault.sim.fleet import build_fleet, charger_ids, run_fleet
from evfault.sim.mrec import (
    Condition,
    MrecError,
    build_no_error,
    build_notify_event,
    build_resolved,
    build_status_notification,
)
from evfault.sim.scenario import FaultSpec, Scenario, ScenarioError, load_scenario, parse_scenario
from evfault.sim.stats import FleetStats

__all__ = [
    "Condition",
    "FaultSpec",
    "FleetStats",
    "MrecError",
    "Scenario",
    "ScenarioError",
    "build_fleet",
    "build_no_error",
    "build_notify_event",
    "build_resolved",
    "build_status_notification",
    "charger_ids",
    "load_scenario",
    "parse_scenario",
    "run_fleet",
]
