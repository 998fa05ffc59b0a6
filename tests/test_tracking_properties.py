"""Properties of the tracker over random event sequences, and the purity of its package.

Every sequence mixes reports of both set rules, clears, NoError, boots, connections, drops,
heartbeats and ticks, with charger clocks that are right, missing, slow or far ahead.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from evfault.decode.model import SetRule
from evfault.tracking.model import (
    Booted,
    Change,
    ChangeKind,
    Connected,
    ConnectivityChange,
    Disconnected,
    Event,
    Heard,
    Incident,
    IncidentChange,
    StatusChange,
)
from evfault.tracking.tracker import Tracker, TrackerConfig
from test_tracking_support import CHARGEX, EVGO, counter_ids, fault, received, report, t

CONFIG = TrackerConfig(reboot_window=30, clock_skew=60, offline_grace=20, silence_heartbeats=3,
                       heartbeat_interval=10)
CHARGERS = ("A", "B")
CONNECTORS = (0, 1, 2)
CODES = {"F001": EVGO, "F003": EVGO, "CX001": CHARGEX, "CX019": CHARGEX}
STATUSES = ("Available", "Charging", "Finishing", "Faulted", None)
CLOCKS = ("right", "missing", "slow", "ahead", "ancient")


@dataclass(frozen=True)
class ReportStep:
    charger: str
    connector: int
    faults: tuple[str, ...]
    cleared: tuple[str, ...]
    rule: SetRule
    status: str | None
    clear_all: bool
    clock: str
    version: str | None


@dataclass(frozen=True)
class Step:
    delay: float  # seconds after the previous step
    what: ReportStep | tuple[str, str]  # ("boot" | "connect" | "drop" | "heard" | "tick", charger)


codes_st = st.lists(st.sampled_from(sorted(CODES)), max_size=3).map(tuple)
report_st = st.builds(
    ReportStep,
    charger=st.sampled_from(CHARGERS),
    connector=st.sampled_from(CONNECTORS),
    faults=codes_st,
    cleared=st.lists(st.sampled_from(sorted(CODES)), max_size=1).map(tuple),
    rule=st.sampled_from(SetRule),
    status=st.sampled_from(STATUSES),
    clear_all=st.booleans(),
    clock=st.sampled_from(CLOCKS),
    version=st.sampled_from(("1.6", "2.0.1", None)),
)
other_st = st.tuples(st.sampled_from(("boot", "connect", "drop", "heard", "tick")),
                     st.sampled_from(CHARGERS))
step_st = st.builds(Step, delay=st.sampled_from((0, 1, 5, 15, 25, 40, 100)),
                    what=st.one_of(report_st, other_st))
steps_st = st.lists(step_st, max_size=40)


def charger_time(clock: str, at: datetime) -> datetime | None:
    offsets = {"right": -1.0, "slow": -20.0, "ahead": 500.0, "ancient": -10**7}
    return None if clock == "missing" else at + (t(offsets[clock]) - t(0))


def event_for(step: ReportStep | tuple[str, str], at: datetime) -> Event | None:
    """The tracker event for a step (None for a tick)."""
    if isinstance(step, ReportStep):
        r = report(
            *(fault(code, CODES[code]) for code in step.faults),
            connector=step.connector, status=step.status, rule=step.rule,
            cleared=[fault(code, CODES[code]) for code in step.cleared],
            clear_all=step.clear_all, ts=charger_time(step.clock, at), version=step.version,
        )
        return received(r, at, charger=step.charger)
    action, charger = step
    events: dict[str, Event | None] = {
        "boot": Booted(charger, at), "connect": Connected(charger, at),
        "drop": Disconnected(charger, at), "heard": Heard(charger, at), "tick": None,
    }
    return events[action]


def run(steps: list[Step], *, with_ticks: bool) -> list[Change]:
    """Feed the steps to a fresh tracker; without ticks only the final one is made."""
    tracker = Tracker(CONFIG, counter_ids())
    changes: list[Change] = []
    elapsed = 0.0
    for step in steps:
        elapsed += step.delay
        at = t(elapsed)
        if with_ticks:
            changes += tracker.tick(at)
        event = event_for(step.what, at)
        if event is not None:
            changes += tracker.handle(event)
    changes += tracker.tick(t(elapsed + 10**6))
    return changes


@settings(max_examples=300, deadline=None)
@given(steps_st)
def test_same_events_give_the_same_changes(steps: list[Step]) -> None:
    assert run(steps, with_ticks=True) == run(steps, with_ticks=True)


@settings(max_examples=300, deadline=None)
@given(steps_st)
def test_outcome_does_not_depend_on_how_often_the_caller_ticks(steps: list[Step]) -> None:
    # The live server ticks every second; the log analyser ticks once at the end.
    assert Counter(run(steps, with_ticks=True)) == Counter(run(steps, with_ticks=False))


class TrackerMachine(RuleBasedStateMachine):
    """Replays every change the tracker returns and checks it against the tracker's state."""

    def __init__(self) -> None:
        super().__init__()
        self.tracker = Tracker(CONFIG, counter_ids())
        self.elapsed = 0.0
        self.replayed: dict[str, Incident] = {}  # active, as the changes told it
        self.ever_opened: set[str] = set()
        self.statuses: dict[tuple[str, int], str] = {}
        self.online: dict[str, bool] = {}

    def _apply(self, step: ReportStep | tuple[str, str], delay: float) -> None:
        self.elapsed += delay
        at = t(self.elapsed)
        event = event_for(step, at)
        changes = self.tracker.tick(at) if event is None else self.tracker.handle(event)
        for change in changes:
            self._replay(change)

    @rule(step=report_st, delay=st.sampled_from((0, 1, 5, 40)))
    def report(self, step: ReportStep, delay: float) -> None:
        self._apply(step, delay)

    @rule(step=other_st, delay=st.sampled_from((0, 1, 15, 25, 40, 100)))
    def other(self, step: tuple[str, str], delay: float) -> None:
        self._apply(step, delay)

    def _replay(self, change: Change) -> None:
        if isinstance(change, IncidentChange):
            self._replay_incident(change)
        elif isinstance(change, StatusChange):
            key = (change.charger_id, change.connector_id)
            assert change.previous == self.statuses.get(key)
            assert change.status != change.previous
            self.statuses[key] = change.status
        elif isinstance(change, ConnectivityChange):
            assert self.online.get(change.charger_id) is not change.online
            self.online[change.charger_id] = change.online

    def _replay_incident(self, change: IncidentChange) -> None:
        incident = change.incident
        if change.kind is ChangeKind.OPENED:
            assert incident.id not in self.ever_opened
            self.ever_opened.add(incident.id)
            self.replayed[incident.id] = incident
        elif change.kind is ChangeKind.CONTINUED:
            assert incident.id in self.replayed
            assert incident.opened_at == self.replayed[incident.id].opened_at
            self.replayed[incident.id] = incident
        else:
            assert self.replayed.pop(incident.id, None) is not None
            assert incident.cleared_at is not None and incident.cleared_by is not None
            assert incident.cleared_at >= incident.opened_at

    @invariant()
    def active_matches_the_change_history(self) -> None:
        assert {i.id: i for i in self.tracker.active()} == self.replayed

    @invariant()
    def one_active_incident_per_code_and_connector(self) -> None:
        keys = [(i.charger_id, i.connector_id, *i.key) for i in self.tracker.active()]
        assert len(keys) == len(set(keys))

    @invariant()
    def statuses_match(self) -> None:
        for (charger, connector), status in self.statuses.items():
            assert self.tracker.status(charger, connector) == status


TrackerMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40,
                                            deadline=None)
test_tracker_state_machine = TrackerMachine.TestCase


# ---- purity ---------------------------------------------------------------------------------

TRACKING = Path(__file__).resolve().parent.parent / "src" / "evfault" / "tracking"
ALLOWED = {
    "__future__", "collections", "dataclasses", "datetime", "enum", "heapq", "itertools",
    "math", "typing", "evfault.tracking", "evfault.decode.model", "evfault.catalog.model",
}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_tracker_imports_no_io_and_has_no_clock_of_its_own() -> None:
    for path in sorted(TRACKING.glob("*.py")):
        for module in imported_modules(path):
            root = module.split(".")[0]
            assert module in ALLOWED or root in ALLOWED or any(
                module.startswith(a + ".") for a in ALLOWED), f"{path.name} imports {module}"
        source = path.read_text()
        for clock in ("datetime.now", ".now(", "utcnow", "time.time", "monotonic"):
            assert clock not in source, f"{path.name} reads a clock ({clock})"
