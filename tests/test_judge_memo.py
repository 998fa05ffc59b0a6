"""The server's judge remembers payloads: the same warnings as judging each one afresh."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from evfault.conformance import Judge

SAMPLES = Path(__file__).resolve().parent / "samples"


def payloads() -> list[dict[str, Any]]:
    found = []
    for name in ("evgo_mrec.jsonl", "chargex_mrec.jsonl"):
        for line in (SAMPLES / name).read_text().splitlines():
            if line.strip():
                found.append(json.loads(line)[3])
    return found


def variants(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The sample as it came (a broken timestamp), with a valid UTC one, with an offset one,
    without one, and with a field of the charger's own."""
    out = [payload]
    for stamp in ("2026-11-28T15:12:12Z", "2026-11-28T16:00:00.123Z", "2026-11-28T15:12:12+01:00"):
        out.append({**payload, "timestamp": stamp})
    out.append({k: v for k, v in payload.items() if k != "timestamp"})
    out.append({**payload, "timestamp": "2026-11-28T15:12:12Z", "acmeTemperature": 41})
    return out


def test_remembered_warnings_are_the_warnings_of_a_fresh_judgement() -> None:
    remembering, fresh = Judge(), Judge()
    for payload in payloads():
        for one in variants(payload):
            for _ in range(2):  # the second time comes from memory
                got = remembering.call_warnings("1.6", "StatusNotification", copy.deepcopy(one))
                assert got == fresh.call("1.6", "StatusNotification", one).warnings, one


def test_valid_utc_times_share_a_judgement_and_others_do_not() -> None:
    judge = Judge()
    base = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    for minute in range(10):
        judge.call_warnings("1.6", "StatusNotification",
                            {**base, "timestamp": f"2026-11-28T15:{minute:02d}:00Z"})
    assert len(judge._memo) == 1
    broken = judge.call_warnings("1.6", "StatusNotification",
                                 {**base, "timestamp": "2023-09-06T00-08-09Z"})
    assert any(w.rule == "timestamp-format" for w in broken)
    assert len(judge._memo) == 2


def test_a_number_orjson_cannot_write_is_judged_without_memory() -> None:
    judge = Judge()
    payload = {"connectorId": 2**70, "errorCode": "NoError", "status": "Available"}
    assert judge.call_warnings("1.6", "StatusNotification", payload) == \
        judge.call("1.6", "StatusNotification", payload).warnings
