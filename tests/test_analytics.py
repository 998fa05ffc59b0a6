"""The pure analytics: MTTR, MTBF, NEVI uptime (a hand-computed example), success rate,
EV-ChART modules."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from analytics_support import (
    CP1_EXCLUDED_MIN,
    CP1_OUTAGE_MIN,
    CP1_UPTIME,
    CP2_OUTAGE_MIN,
    CP2_UPTIME,
    EXCLUDED_START,
    YEAR,
    at,
)
from evfault.analytics import (
    ChargerInfo,
    Exclusion,
    Window,
    evchart,
    monthly_uptime,
    mtbf,
    mttr,
    outages,
    port_uptime,
    success_rate,
    uptime_pct,
)
from evfault.analytics.tables import to_csv
from evfault.analytics.uptime import outage_id
from evfault.tracking.model import ClearedBy, ConnectivityChange, Incident, StatusChange

T0 = datetime(2026, 7, 1, tzinfo=UTC)


def incident(n: int, code: str = "CX001", charger: str = "CP-1", connector: int = 1,
             opened: datetime = T0, minutes: float | None = 10, warning: bool = False,
             **extra: object) -> Incident:
    cleared = None if minutes is None else opened + timedelta(minutes=minutes)
    return Incident(
        id=f"i{n}", charger_id=charger, connector_id=connector, scheme="ChargeX", code=code,
        title=code, severity="critical", opened_at=opened, opened_received_at=opened,
        warning_only=warning, cleared_at=cleared,
        cleared_by=None if cleared is None else ClearedBy.NO_ERROR,
    )


class WithActions:
    """An incident as the alerts work records it: the same fields plus `actions`."""

    def __init__(self, base: Incident, actions: list[object]) -> None:
        self._base = base
        self.actions = actions

    def __getattr__(self, name: str) -> object:
        return getattr(self._base, name)


# ---- MTTR and MTBF -------------------------------------------------------------------------


def test_mttr_by_code_has_mean_and_median_and_leaves_open_incidents_out() -> None:
    rows = mttr([incident(1, minutes=10), incident(2, minutes=20), incident(3, minutes=90),
                 incident(4, code="CX002", minutes=5), incident(5, minutes=None)], by="code")
    by = {r.group: r for r in rows}
    assert by["ChargeX:CX001"].incidents == 3
    assert by["ChargeX:CX001"].mean_s == pytest.approx(40 * 60)
    assert by["ChargeX:CX001"].median_s == pytest.approx(20 * 60)
    assert by["ChargeX:CX001"].still_open == 1
    assert by["ChargeX:CX002"].mean_s == pytest.approx(300)
    assert rows[0].group == "ChargeX:CX001"  # the longest repairs first


def test_mttr_groups_by_vendor_model_firmware_from_charger_facts() -> None:
    chargers = {"A": ChargerInfo("A", "Acme", "X1", "1.0"), "B": ChargerInfo("B", "Bolt", "Z", "2")}
    items = [incident(1, charger="A", minutes=10), incident(2, charger="B", minutes=30),
             incident(3, charger="C", minutes=50)]
    assert {r.group: r.mean_s for r in mttr(items, "vendor", chargers)} == {
        "Acme": 600, "Bolt": 1800, "unknown": 3000}
    assert {r.group for r in mttr(items, "firmware", chargers)} == {"1.0", "2", "unknown"}
    assert {r.group for r in mttr(items, "connector")} == {"A/1", "B/1", "C/1"}


def test_mttr_by_period_and_window() -> None:
    items = [incident(1, opened=datetime(2026, 1, 5, tzinfo=UTC)),
             incident(2, opened=datetime(2026, 2, 5, tzinfo=UTC), minutes=30)]
    assert [r.group for r in mttr(items, "month")] == ["2026-02", "2026-01"]
    window = Window(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    assert [r.incidents for r in mttr(items, "all", window=window)] == [1]


def test_repairs_sorted_by_remote_action_visit_or_by_itself() -> None:
    items = [WithActions(incident(1), [{"kind": "reset"}]),
             WithActions(incident(2), ["visit"]),
             WithActions(incident(3), []),
             incident(4)]  # no actions recorded at all: it cleared by itself
    (row,) = mttr(items, "all")  # type: ignore[arg-type]
    assert (row.remote, row.visit, row.self_cleared) == (1, 1, 2)
    # self-healing's attempts, by incident id: did the error clear after them?
    attempts = {"i1": [{"action": "soft_reset", "cleared": True}],
                "i2": [{"action": "soft_reset", "cleared": False},
                       {"action": "hard_reset", "cleared": False}]}
    (row,) = mttr([incident(1), incident(2), incident(3)], "all", actions=attempts)
    assert (row.remote, row.visit, row.self_cleared) == (1, 1, 1)


def test_mtbf_is_operating_time_over_failures_and_counts_quiet_chargers() -> None:
    window = Window(T0, T0 + timedelta(hours=100))
    items = [incident(1, minutes=60), incident(2, opened=T0 + timedelta(hours=50), minutes=60)]
    chargers = {"CP-1": ChargerInfo("CP-1"), "CP-9": ChargerInfo("CP-9")}
    by = {r.group: r for r in mtbf(items, window, "charger", chargers)}
    assert by["CP-1"].failures == 2
    assert by["CP-1"].mtbf_h == pytest.approx(98 / 2)
    assert by["CP-9"].mtbf_h is None and by["CP-9"].operating_h == pytest.approx(100)
    (fleet,) = mtbf(items, window, "all", chargers)
    assert fleet.mtbf_h == pytest.approx(198 / 2)


def test_an_unknown_grouping_is_refused_in_a_sentence() -> None:
    with pytest.raises(ValueError, match="group_by must be one of"):
        mttr([], "colour")


# ---- NEVI uptime: the hand-computed example ---------------------------------------------------


def example_history() -> tuple[list[StatusChange], list[ConnectivityChange], list[Incident]]:
    """The year of tests/analytics_support.py as the tracker would have reported it."""
    def status(connector: int, when: datetime, value: str) -> StatusChange:
        return StatusChange("CP-1", connector, value, when)

    statuses = [
        status(1, at(1, 1, 0), "Available"), status(2, at(1, 1, 0), "Available"),
        status(1, at(3, 1, 10), "Faulted"), status(1, at(3, 1, 14, 30), "Available"),
        status(1, at(6, 10, 8), "Unavailable"), status(1, at(6, 11, 8), "Available"),
        status(1, at(11, 20, 12), "Faulted"), status(1, at(11, 20, 13), "Available"),
        status(1, at(12, 1, 10), "Charging"), status(1, at(12, 1, 11), "Finishing"),
        status(1, at(12, 1, 11, 5), "Available"),
    ]
    links = [ConnectivityChange("CP-1", True, at(1, 1, 0), "connected"),
             ConnectivityChange("CP-1", False, at(9, 5, 22), "silent"),
             ConnectivityChange("CP-1", True, at(9, 6, 1, 15), "restored")]
    errors = [incident(1, opened=at(11, 20, 12), minutes=80),
              incident(2, code="CX011", opened=at(12, 1, 10), minutes=60, warning=True)]
    return statuses, links, errors


def test_hand_computed_uptime_with_an_excluded_outage_and_an_offline_period() -> None:
    statuses, links, errors = example_history()
    excluded = {outage_id("CP-1", 1, EXCLUDED_START): Exclusion(3, "firmware update window")}
    found = outages(statuses, links, errors, until=YEAR[1], exclusions=excluded)
    window = Window(*YEAR)
    assert window.minutes == 525_600
    rows = {(r.charger_id, r.connector_id): r for r in port_uptime(found, set(), window)}
    cp1, cp2 = rows[("CP-1", 1)], rows[("CP-1", 2)]
    assert (cp1.outage_min, cp1.excluded_min, cp1.outages) == (CP1_OUTAGE_MIN, CP1_EXCLUDED_MIN, 4)
    assert cp1.uptime == pytest.approx(CP1_UPTIME) == pytest.approx(99.89630898, abs=1e-8)
    assert cp2.outage_min == CP2_OUTAGE_MIN and cp2.uptime == pytest.approx(CP2_UPTIME)
    merged = [o for o in found if o.connector_id == 1 and o.start == at(11, 20, 12)]
    assert merged[0].minutes == 80
    assert merged[0].causes == ("error:ChargeX:CX001", "status:Faulted")


def test_uptime_formula_matches_the_rule() -> None:
    assert uptime_pct(0, 0) == 100
    assert uptime_pct(15_768, 0) == pytest.approx(97.0)  # 3 % of 525,600 minutes
    assert uptime_pct(20_000, 4_232) == pytest.approx(97.0)


def test_a_port_below_97_percent_is_flagged() -> None:
    statuses = [StatusChange("CP-5", 1, "Faulted", at(1, 1, 0)),
                StatusChange("CP-5", 1, "Available", at(1, 16, 0))]
    found = outages(statuses, [], [], until=YEAR[1])
    (row,) = port_uptime(found, set(), Window(*YEAR))
    assert row.outage_min == 15 * 24 * 60 and row.below_target


def test_connector_zero_and_offline_take_every_port_out() -> None:
    statuses = [StatusChange("CP-2", 1, "Available", at(1, 1, 0)),
                StatusChange("CP-2", 2, "Available", at(1, 1, 0)),
                StatusChange("CP-2", 0, "Unavailable", at(2, 1, 0)),
                StatusChange("CP-2", 0, "Available", at(2, 1, 1))]
    found = outages(statuses, [], [], until=YEAR[1])
    assert sorted((o.connector_id, o.minutes) for o in found) == [(1, 60), (2, 60)]


def test_monthly_uptime_is_over_the_previous_twelve_months() -> None:
    statuses, links, errors = example_history()
    found = outages(statuses, links, errors, until=YEAR[1])
    rows = {label: r for label, r in monthly_uptime(found, {("CP-1", 1)}, at(3, 1, 0), at(12, 1, 0))
            if r.connector_id == 1}
    assert rows["2026-03"].outage_min == 270  # only March's fault so far
    assert rows["2026-12"].outage_min == CP1_OUTAGE_MIN
    assert rows["2026-12"].period_min == 525_600


# ---- charging success and EV-ChART -------------------------------------------------------------


def test_success_rate_from_status_sequences() -> None:
    seq = ["Available", "Preparing", "Charging", "Finishing", "Available",  # ok
           "Preparing", "Charging", "SuspendedEV", "Charging", "Faulted",  # failed
           "Available", "Charging", "Available",  # ok
           "Charging"]  # still running: not counted
    changes = [StatusChange("CP-1", 1, s, T0 + timedelta(minutes=i)) for i, s in enumerate(seq)]
    (row,) = success_rate(changes)
    assert (row.sessions, row.succeeded, row.failed) == (3, 2, 1)
    assert row.rate == pytest.approx(200 / 3)


def test_ev_chart_modules_for_a_quarter() -> None:
    statuses, links, errors = example_history()
    excluded = {outage_id("CP-1", 1, EXCLUDED_START): Exclusion(3, "firmware update window")}
    found = outages(statuses, links, errors, until=YEAR[1], exclusions=excluded)
    text = evchart.report(found, [("CP-1", 1), ("CP-1", 2)], evchart.quarter("2026Q2"))
    m3, m4 = text.split("\n\n")
    rows3 = list(csv.DictReader(io.StringIO(m3)))
    june = [r for r in rows3 if r["port_id"] == "CP-1-1" and r["uptime_reporting_end"]
            == "2026-06-30"]
    assert june[0]["total_outage"] == "1710" and june[0]["total_outage_excl"] == "1440"
    assert june[0]["uptime"] == f"{(525600 - 270) / 525600 * 100:.2f}"
    assert len(rows3) == 6  # two ports × three months
    (row4,) = list(csv.DictReader(io.StringIO(m4)))
    assert row4 == {"module": "4", "station_id": "CP-1", "port_id": "CP-1-1",
                    "outage_id": "2026-06-10T08:00:00Z", "outage_duration": "1440",
                    "excluded_outage": "TRUE", "excluded_outage_reason": "3",
                    "excluded_outage_notes": "firmware update window"}


def test_a_bad_quarter_or_reason_is_one_sentence() -> None:
    with pytest.raises(ValueError, match="like 2026Q3"):
        evchart.quarter("2026-07")
    with pytest.raises(ValueError, match="from 1 to 6"):
        Exclusion(7)


def test_tables_export_as_csv() -> None:
    rows = [r.as_dict() for r in mttr([incident(1)], "code")]
    assert to_csv(rows).splitlines()[0].startswith("group,incidents,mean_s,median_s")


def test_the_analytics_import_no_io() -> None:
    import ast
    from pathlib import Path

    import evfault.analytics as package

    banned = {"asyncio", "sqlalchemy", "starlette", "websockets", "psycopg", "sqlite3"}
    for path in Path(package.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {alias.name.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.Import) for alias in node.names}
        names |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom)}
        assert not names & banned, f"{path.name} imports {names & banned}"
