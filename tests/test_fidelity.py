"""Fidelity: a scripted fleet of real OCPP 1.6 chargers (the `ocpp` package's ChargePoint)
against the real server. Each charger keeps its own ground truth — when it injected and when it
cleared every fault, stamped into the very messages it sends — through faults, a reboot with a
fault that persists across it, and an outage longer than the offline grace.

Then: every injected fault is found, nothing is invented, MTTR per code is within 1 % of the
truth, and `evfault analyze` on the server's exported log gives the identical numbers.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from ocpp.v16 import call as call16

from chargers import boot16, charger16, send_status16
from test_analyze import cli

pytestmark = pytest.mark.slow

EVGO, CHARGEX = "com.evgo.mrec", "https://chargex.inl.gov"
FLEET = 6


@dataclass(frozen=True)
class Truth:
    charger: str
    connector: int
    code: str  # scheme:code as evfault names it
    opened: datetime
    cleared: datetime


def now() -> datetime:
    return datetime.now(UTC)


def stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


class Scripted:
    """One charger's script; it notes the truth of each fault as it reports it."""

    def __init__(self, url: str, index: int, truth: list[Truth]) -> None:
        self.url, self.id, self.truth = url, f"FID-{index:02d}", truth
        self.rng = random.Random(index)

    async def hold(self) -> float:
        seconds = self.rng.uniform(0.6, 1.6)
        await asyncio.sleep(seconds)
        return seconds

    async def fault(self, cp: Any, connector: int, code: str, **fields: Any) -> datetime:
        opened = now()
        await send_status16(cp, connectorId=connector, status="Faulted",
                            timestamp=stamp(opened), **fields)
        return opened

    async def clear(self, cp: Any, connector: int, **fields: Any) -> datetime:
        cleared = now()
        await send_status16(cp, connectorId=connector, timestamp=stamp(cleared), **fields)
        return cleared

    async def run(self) -> None:
        async with charger16(self.url, self.id) as cp:
            await boot16(cp, vendor="Acme" if self.rng.random() < 0.5 else "Bolt")
            for connector in (1, 2):
                await self.clear(cp, connector)
            # an OCPP fault, then an EVgo MREC code on the other connector
            opened = await self.fault(cp, 1, "GroundFailure", errorCode="GroundFailure")
            await self.hold()
            self.note(1, "ocpp1.6:GroundFailure", opened, await self.clear(cp, 1))
            opened = await self.fault(cp, 2, "F001", errorCode="OtherError", vendorId=EVGO,
                                      vendorErrorCode="F001")
            await self.hold()
            self.note(2, "evgo-mrec:F001", opened, await self.clear(cp, 2))
            # a ChargeX code that is still active when the charger reboots
            cx_opened = await self.fault(cp, 1, "CX011", errorCode="OtherError",
                                         vendorId=CHARGEX, vendorErrorCode="CX011")
        await asyncio.sleep(0.1)  # the reboot: the connection drops, back within the grace
        async with charger16(self.url, self.id) as cp:
            await boot16(cp)
            await send_status16(cp, connectorId=1, status="Faulted", errorCode="OtherError",
                                vendorId=CHARGEX, vendorErrorCode="CX011",
                                timestamp=stamp(now()))  # re-reported: the incident goes on
            await self.hold()
            cleared = await self.clear(cp, 1, errorCode="OtherError", vendorId=CHARGEX,
                                       vendorErrorCode="CX011", info="Error CX011 resolved")
            self.note(1, "chargex-mrec:CX011", cx_opened, cleared)
        await asyncio.sleep(1.5)  # an outage: offline after the 0.4 s grace
        async with charger16(self.url, self.id) as cp:
            await cp.call(call16.Heartbeat())
            opened = await self.fault(cp, 2, "GroundFailure", errorCode="GroundFailure")
            await self.hold()
            self.note(2, "ocpp1.6:GroundFailure", opened, await self.clear(cp, 2))

    def note(self, connector: int, code: str, opened: datetime, cleared: datetime) -> None:
        self.truth.append(Truth(self.id, connector, code, opened, cleared))


def mttr_of(rows: list[tuple[str, float]]) -> dict[str, float]:
    by: dict[str, list[float]] = defaultdict(list)
    for code, seconds in rows:
        by[code].append(seconds)
    return {code: statistics.fmean(values) for code, values in by.items()}


async def test_the_fleet_is_measured_as_it_happened(start_server: Any, db_url: str,
                                                    tmp_path: Path) -> None:
    server = await start_server(reboot_window=60.0)  # a busy machine reboots slowly
    truth: list[Truth] = []
    await asyncio.gather(*(Scripted(server.address.ocpp, i, truth).run() for i in range(FLEET)))
    await asyncio.sleep(0.5)  # the last offline judgement (none is pending, but be sure)

    from evfault.store.model import IncidentQuery

    stored = await server.services.store.incidents(IncidentQuery(limit=1000))
    found = sorted((i.charger_id, i.connector_id, f"{i.scheme}:{i.code}", i.opened_at,
                    i.cleared_at) for i in stored)
    expected = sorted((t.charger, t.connector, t.code, t.opened, t.cleared) for t in truth)
    assert len(truth) == 4 * FLEET
    assert found == expected  # every fault found, at its times; nothing invented

    true_mttr = mttr_of([(t.code, (t.cleared - t.opened).total_seconds()) for t in truth])
    token = await _token(server)
    async with httpx.AsyncClient(base_url=server.address.http,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        answer = await client.get("/api/v1/reports/mttr", params={"group_by": "code"})
        assert answer.status_code == 200, answer.text
        api_mttr = {r["group"]: r["mean_s"] for r in answer.json()["rows"]}
        uptime = (await client.get("/api/v1/reports/uptime")).json()
    assert set(api_mttr) == set(true_mttr)
    for code, seconds in true_mttr.items():
        assert api_mttr[code] == pytest.approx(seconds, rel=0.01), code

    # the outage: every port of every charger was offline once, for at least the 1.5 s gap
    offline = {(p["charger_id"], p["connector_id"]): p["outage_min"] for p in uptime["ports"]}
    assert len(offline) == 2 * FLEET and min(offline.values()) >= 1.5 / 60

    # the stored log, exported and analysed offline: the identical numbers
    log = tmp_path / "fleet.jsonl.gz"
    code, _, err = cli("export", "--db", db_url, "--out", str(log))
    assert code == 0, err
    code, text, err = cli("analyze", str(log), "--json", "--since", uptime["since"],
                          "--until", uptime["until"])
    assert code == 0, err
    report = orjson.loads(text)["report"]
    assert {r["group"]: r["mean_s"] for r in report["mttr"]["code"]} == api_mttr
    analyzed = {(p["charger_id"], p["connector_id"]): p["outage_min"] for p in report["uptime"]}
    assert analyzed == offline


async def _token(server: Any) -> str:
    created = await server.trust.admin.add_user("test", "fidelity", _viewer(), "pw-fidelity-1")
    assert created.user is not None
    token = await server.trust.admin.add_token("test", "fidelity", "fidelity test")
    assert token.secret is not None
    return token.secret


def _viewer() -> Any:
    from evfault.auth.model import Role

    return Role.VIEWER

