"""What does a reconnect storm cost the charger gate, with and without its verification cache?

    .venv/bin/python benchmarks/gate_admit.py [--chargers N] [--rounds R]

N chargers with passwords (security profile 1, hashed with the product's argon2id setting)
knock on `RegistryGate.admit` as after a server restart: the first round verifies each
password with argon2 (cold); the next R rounds find it in the cache (warm), as every later
reconnect does. The yardstick, measured in the same run: one argon2 verification called
directly. CPU time is the process's (all threads: argon2 runs in the gate's worker threads).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from datetime import UTC, datetime

from evfault.auth.gate import RegistryGate
from evfault.auth.model import ChargerEntry, UnknownChargers
from evfault.auth.passwords import generate_password, hash_password, verify_password
from evfault.ocpp.admission import Handshake, Registration


def registered(n: int) -> tuple[list[ChargerEntry], dict[str, str]]:
    passwords = {f"CP{i:05d}": generate_password(24) for i in range(n)}
    entries = [ChargerEntry(cid, Registration.ACCEPTED, 1, hash_password(pw))
               for cid, pw in passwords.items()]
    return entries, passwords


async def storm(gate: RegistryGate, passwords: dict[str, str]) -> float:
    """CPU seconds for one round: every charger knocks once, all at once."""
    knocks = [Handshake(cid, "10.0.0.1", False, cid, pw) for cid, pw in passwords.items()]
    started = time.process_time()
    answers = await asyncio.gather(*(gate.admit(k) for k in knocks))
    spent = time.process_time() - started
    assert all(a.admitted for a in answers)
    return spent


async def main(args: argparse.Namespace) -> None:
    entries, passwords = registered(args.chargers)
    started = time.process_time()
    for entry in entries[: min(50, len(entries))]:
        verify_password(entry.password_hash or "", passwords[entry.charger_id])
    argon2_s = (time.process_time() - started) / min(50, len(entries))

    gate = RegistryGate(UnknownChargers.REJECT, lambda: datetime.now(UTC))
    gate.load(entries)
    cold = await storm(gate, passwords) / args.chargers
    warm = sum([await storm(gate, passwords) for _ in range(args.rounds)])
    warm /= args.chargers * args.rounds
    gate.close()

    print(f"gate admit: {args.chargers} chargers, {args.rounds} warm rounds; "
          f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"{'':<38} {'CPU µs/admit':>14} {'× argon2':>10}")
    print(f"{'argon2id verify alone (yardstick)':<38} {argon2_s * 1e6:>14,.0f} {1:>10.3f}")
    print(f"{'cold: first knock after a restart':<38} {cold * 1e6:>14,.0f} "
          f"{cold / argon2_s:>10.3f}")
    print(f"{'warm: every later reconnect':<38} {warm * 1e6:>14,.1f} "
          f"{warm / argon2_s:>10.5f}")
    print(f"10,000 chargers reconnecting: ~{10_000 * warm:.2f} s CPU warm, "
          f"~{10_000 * cold:.0f} s cold (once per process)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chargers", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args()))
