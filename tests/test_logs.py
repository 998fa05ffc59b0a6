"""Log readers: every usual shape of a CSMS log, read in a stream; bad lines counted, not fatal."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
from hypothesis import given
from hypothesis import strategies as st

from evfault.logs import Frame, Unreadable, detect, formats, read_records
from evfault.logs.records import IN, OUT, parse_time, read_line

STATUS = ('[2,"s1","StatusNotification",{"connectorId":1,"status":"Faulted",'
          '"errorCode":"GroundFailure"}]')
WHEN = datetime(2026, 3, 1, 10, 5, tzinfo=UTC)


def only_frame(line: str) -> Frame:
    record = read_line(1, line)
    assert isinstance(record, Frame), record
    parsed = record.value if record.value is not None else orjson.loads(record.text)
    assert parsed == orjson.loads(STATUS)
    return record


def test_the_usual_prefixes_give_time_charger_and_direction() -> None:
    cases = {
        f"2026-03-01T10:05:00Z CP-1 <- {STATUS}": (WHEN, "CP-1", IN),
        f"[2026-03-01T10:05:00.000Z] CP-1 <- {STATUS}": (WHEN, "CP-1", IN),
        # SteVe's WebSocketLogger
        ("[INFO ] 2026-03-01 10:05:00,000 de.rwth.idsg.steve.ocpp.ws.WebSocketLogger "
         "(WebSocketLogger.java:61) - [chargeBoxId=CP-1, sessionId=a1] Received: " + STATUS):
            (WHEN, "CP-1", IN),
        # the `ocpp` package's log, with and without a time
        f"2026-03-01 10:05:00,000 INFO ocpp: CP-1: receive message {STATUS}": (WHEN, "CP-1", IN),
        f"INFO:ocpp:CP-1: send {STATUS}": (None, "CP-1", OUT),
        # ocpp-lens: Unix seconds and milliseconds in front
        f"1772359500 {STATUS}": (WHEN, None, None),
        f"1772359500000 {STATUS}": (WHEN, None, None),
        STATUS: (None, None, None),
    }
    for line, (at, charger, direction) in cases.items():
        frame = only_frame(line)
        assert (frame.at, frame.charger_id, frame.direction) == (at, charger, direction), line


def test_wrapped_objects_of_ocpp_lens_and_kwwhat_json_rows() -> None:
    wrapped = orjson.dumps({"timestamp": "2026-03-01T10:05:00Z",
                            "message": orjson.loads(STATUS)}).decode()
    assert only_frame(wrapped).at == WHEN
    kwwhat = orjson.dumps({"timestamp": "2026-03-01T10:05:00.000Z", "id": "CH-002",
                           "action": "StatusNotification", "msg": STATUS}).decode()
    frame = only_frame(kwwhat)
    assert (frame.at, frame.charger_id) == (WHEN, "CH-002")


def test_kwwhat_csv(tmp_path: Path) -> None:
    quoted = STATUS.replace('"', '""')
    text = ("timestamp,id,action,msg\n"
            f'2026-03-01T10:05:00.000Z,CH-002,StatusNotification,"{quoted}"\n'
            '2026-03-01T10:05:00.100Z,CH-002,,"[3, ""s1"", {}]"\n'
            "2026-03-01T10:06:00.000Z,CH-002,Heartbeat,not a frame\n")
    assert detect(text.splitlines()[0]) == "csv"
    records = list(read_records(text.splitlines(keepends=True)))
    assert isinstance(records[0], Frame) and records[0].charger_id == "CH-002"
    assert records[0].at == WHEN and isinstance(records[1], Frame)
    assert isinstance(records[2], Unreadable) and records[2].line == 4


def test_a_json_array_is_read_in_chunks(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(formats, "_CHUNK", 50)  # elements cross chunk boundaries
    frames = [orjson.loads(STATUS)] * 40 + [{"timestamp": "2026-03-01T10:05:00Z",
                                             "message": orjson.loads(STATUS)}]
    text = orjson.dumps(frames, option=orjson.OPT_INDENT_2).decode()
    records = list(read_records(text.splitlines(keepends=True)))
    assert len(records) == 41 and all(isinstance(r, Frame) for r in records)
    assert records[-1].at == WHEN  # type: ignore[union-attr]
    broken = list(read_records([text[: len(text) // 2]], "json-array"))
    assert isinstance(broken[-1], Unreadable) and "cut short" in broken[-1].reason


def test_times_people_and_logs_write() -> None:
    assert parse_time("2026-03-01 12:05:00+02:00") == WHEN
    assert parse_time("2026-03-01T10:05:00.123456789Z") == WHEN.replace(microsecond=123456)
    assert parse_time("no time here") is None


@given(st.text(max_size=300))
def test_any_line_is_read_or_reported_never_raises(line: str) -> None:
    record = read_line(7, line)
    assert record is None or isinstance(record, Frame | Unreadable)


@given(st.lists(st.text(max_size=80), max_size=20))
def test_any_file_is_read_or_reported_never_raises(lines: list[str]) -> None:
    for record in read_records([line + "\n" for line in lines]):
        assert isinstance(record, Frame | Unreadable)


def test_gzip_is_told_by_its_bytes_and_a_truncated_one_is_reported(tmp_path: Path) -> None:
    from evfault.cli.analyze_cmd import replay_files

    body = "".join(f"2026-03-01T10:{m:02d}:00Z CP-1 <- [2,\"h{m}\",\"Heartbeat\",{{}}]\n"
                   for m in range(60)).encode()
    whole = tmp_path / "cp.log"  # no .gz in the name
    whole.write_bytes(gzip.compress(body))
    assert replay_files([str(whole)], "auto").frames == 60
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(gzip.compress(body)[:-30])
    replayed = replay_files([str(cut)], "auto")
    assert replayed.unreadable == 1 and "ends early" in replayed.reasons[0][2]
