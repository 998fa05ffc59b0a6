"""What the one rule set costs the server per StatusNotification, next to decoding alone.

    .venv/bin/python benchmarks/judge_cost.py [--frames N] [--seed S]

Uses decode_throughput.py's realistic mix (NoError status changes, plain OCPP errors, EVgo single
and compound codes with fresh readings, ChargeX codes and clears, unknown vendors) and times on
one core, per message: (a) the decoder alone; (b) `Judge.call`, every rule judged afresh; (c)
`Judge.call_warnings`, what the server calls: the same findings, remembered by payload with
plain date-times left out of the key (a fresh reading is still a miss).
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from decode_throughput import frames

from evfault.conformance import Judge
from evfault.decode import default_decoder


def per_message(payloads: list[dict[str, Any]], handle: Callable[[dict[str, Any]], object]
                ) -> float:
    """Microseconds of CPU per payload."""
    start = time.process_time()
    for payload in payloads:
        handle(payload)
    return (time.process_time() - start) / len(payloads) * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    payloads = [orjson.loads(f)[3] for f in frames(args.frames, random.Random(args.seed))]
    decoder, fresh, memo = default_decoder(), Judge(), Judge()
    decode_us = per_message(payloads, lambda p: decoder.decode_payload(
        "StatusNotification", p, "1.6"))
    fresh_us = per_message(payloads, lambda p: fresh.call("1.6", "StatusNotification", p))
    memo_us = per_message(payloads, lambda p: memo.call_warnings("1.6", "StatusNotification", p))
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{len(payloads)} StatusNotifications")
    print(f"decode alone          {decode_us:8.1f} µs/message")
    print(f"judged afresh         {fresh_us:8.1f} µs/message")
    print(f"judged, server's memo {memo_us:8.1f} µs/message")


if __name__ == "__main__":
    main()
