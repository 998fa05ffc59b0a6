"""Turning many batches into one transaction's rows: pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evfault.store.group import LOG_COLUMNS, group_rows
from evfault.store.model import ChargerUpdate, ConnectorUpdate, MessageRow, WriteBatch
from evfault.store.times import iso_utc
from evfault.tracking.model import ConnectivityChange, Incident

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def link(online: bool, seconds: float) -> WriteBatch:
    return WriteBatch(connectivity=[ConnectivityChange("CP1", online, at(seconds), "x")])


def charger_params(*batches: WriteBatch) -> dict[str, object]:
    (params,) = group_rows(batches, NOW, iso_utc).charger_updates
    return params


def test_log_rows_keep_their_order_and_encode_times() -> None:
    rows = group_rows(
        [WriteBatch(messages=[MessageRow("CP1", "in", at(1), "a", "Heartbeat", "7")]),
         WriteBatch(messages=[MessageRow("CP2", "out", at(0), "b")])],
        NOW, iso_utc,
    )
    assert rows.messages == [
        ("CP1", "in", "2025-03-01T08:00:01.000000+00:00", "Heartbeat", "7", "a"),
        ("CP2", "out", "2025-03-01T08:00:00.000000+00:00", None, None, "b"),
    ]
    assert LOG_COLUMNS["messages"][2] == "at"


def test_state_rows_coalesce_last_write_wins() -> None:
    first = Incident("i1", "CP1", 1, "s", "F001", "t", "critical", at(0), at(0))
    rows = group_rows(
        [WriteBatch(connectors=[ConnectorUpdate("CP1", 1, "Faulted", "X", at(1))],
                    incidents=[first]),
         WriteBatch(connectors=[ConnectorUpdate("CP1", 1, "Available", None, at(2)),
                                ConnectorUpdate("CP1", 2, "Charging", None, at(2))],
                    incidents=[Incident("i1", "CP1", 1, "s", "F001", "t", "critical", at(0),
                                        at(0), reports=2)])],
        NOW, iso_utc,
    )
    assert [(c["connector_id"], c["status"]) for c in rows.connectors] == [
        (1, "Available"), (2, "Charging")]
    assert [(i["id"], i["reports"], i["set_rule"]) for i in rows.incidents] == [
        ("i1", 2, "replace")]


def test_facts_merge_none_keeps_earlier_values() -> None:
    params = charger_params(
        WriteBatch(chargers=[ChargerUpdate("CP1", vendor="ABB", firmware="1", last_seen=at(5))]),
        WriteBatch(chargers=[ChargerUpdate("CP1", firmware="2", last_seen=at(9))]),
    )
    assert (params["vendor"], params["firmware"], params["last_seen"]) == ("ABB", "2", at(9))
    assert params["model"] is None and params["first_seen"] == at(5)
    assert (params["p_online"], params["online"]) == (None, False)  # nothing said: keep


def test_mentioned_chargers_only_get_created() -> None:
    rows = group_rows([WriteBatch(messages=[MessageRow("CP7", "in", at(3), "a"),
                                            MessageRow("CP7", "in", at(1), "b")])],
                      NOW, iso_utc)
    assert rows.charger_updates == []
    assert rows.charger_mentions == [{"id": "CP7", "first_seen": at(1), "online": False}]


def test_a_charger_update_without_time_is_first_seen_now() -> None:
    assert charger_params(WriteBatch(chargers=[ChargerUpdate("CP1", vendor="x")]))[
        "first_seen"] == NOW


def test_first_seen_compares_naive_and_aware_times() -> None:
    naive = datetime(2025, 3, 1, 7, 0)
    params = charger_params(WriteBatch(
        chargers=[ChargerUpdate("CP1", last_seen=at(0))],
        messages=[MessageRow("CP1", "in", naive, "a")]))
    assert params["first_seen"] == datetime(2025, 3, 1, 7, 0, tzinfo=UTC)


def test_offline_only_keeps_an_earlier_offline_period() -> None:
    params = charger_params(link(False, 10), link(False, 20))
    assert (params["p_online"], params["offline_since"], params["p_keep"]) == (
        False, at(10), True)


def test_online_then_offline_starts_a_new_period() -> None:
    params = charger_params(link(True, 0), link(False, 10), link(False, 20))
    assert (params["p_online"], params["offline_since"], params["p_keep"]) == (
        False, at(10), False)


def test_offline_then_online_ends_the_period() -> None:
    params = charger_params(link(False, 10), link(True, 20))
    assert (params["p_online"], params["offline_since"], params["p_keep"]) == (
        True, None, False)
    assert params["online"] is True
