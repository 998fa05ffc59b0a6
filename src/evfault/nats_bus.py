"""Several nodes, one fleet: live changes and commands between evfault nodes over NATS.

`evfault serve --bus nats://HOST:PORT`. Every node publishes the changes its chargers cause on
`evfault.<cluster>.changes` and hands the other nodes' changes to its own subscribers (the
dashboards' live streams), so every node's stream carries every charger. A command for a charger
another node holds is a NATS request to `evfault.<cluster>.node.<node>.call`: that node makes the
OCPP call and replies with the charger's answer. The cluster is a random name the nodes sharing
one database agree on through it, so fleets on different databases never hear each other even
on one NATS server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import nats
import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from evfault.bus import InProcessBus
from evfault.bus_wire import WireError, decode, encode
from evfault.commands.commander import NotHeld, Reply
from evfault.errors import UserError
from evfault.ocpp.rpc import CallError, CallResult
from evfault.tracking.model import Change

if TYPE_CHECKING:
    from evfault.ocpp.central import CentralSystem

log = logging.getLogger("evfault.bus")

CONNECT_TIMEOUT_S = 5.0
REPLY_SLACK_S = 5.0  # a remote call's reply may take this much longer than the call itself
OUTBOX = 100_000  # changes waiting to go out; more while NATS is away are dropped (and logged)


class BusError(UserError):
    """NATS cannot be reached or used; the message says which and what to do."""


class NatsBus(InProcessBus):
    """The in-process bus, joined to the other nodes' over NATS."""

    def __init__(self, url: str, node: str) -> None:
        super().__init__()
        self.url = url
        self.node = node
        self.cluster = ""
        self._nc: Client | None = None
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(OUTBOX)
        self._sender: asyncio.Task[None] | None = None
        self._calls: set[asyncio.Task[None]] = set()
        self._dropped = 0
        self._stopping = False

    # ---- life cycle --------------------------------------------------------------------------

    async def start(self, cluster: str) -> None:
        """Connect, and hear the other nodes' changes."""
        self.cluster = cluster
        if not self.url.startswith(("nats://", "tls://")):
            raise BusError(f"--bus must be a nats:// (or tls://) URL, not {self.url!r}.")
        try:
            # Reconnecting forever is for later; the first connection gets CONNECT_TIMEOUT_S.
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                self._nc = await nats.connect(
                    self.url, name=f"evfault-{self.node}", connect_timeout=CONNECT_TIMEOUT_S,
                    max_reconnect_attempts=-1, reconnect_time_wait=1.0, allow_reconnect=True,
                    error_cb=self._on_error, disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected)
        except Exception as exc:  # nats raises several kinds; each means "not reachable"
            raise BusError(f"Could not reach NATS at {self.url} ({exc.__class__.__name__}); "
                           "start nats-server or correct --bus.") from None
        await self._nc.subscribe(self.subject("changes"), cb=self._on_change)
        self._sender = asyncio.create_task(self._send_forever(), name="evfault-bus-out")

    async def serve_calls(self, central: CentralSystem) -> None:
        """Carry out the calls other nodes send for the chargers this node holds."""
        assert self._nc is not None, "start the bus first"

        async def on_call(msg: Msg) -> None:
            task = asyncio.create_task(self._carry_out(central, msg))
            self._calls.add(task)
            task.add_done_callback(self._calls.discard)

        await self._nc.subscribe(self.subject(f"node.{self.node}.call"), cb=on_call)

    async def stop(self) -> None:
        self._stopping = True
        if self._sender is not None:
            await self._flush_outbox()
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        for task in tuple(self._calls):
            task.cancel()
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.drain()
            self._nc = None

    def subject(self, tail: str) -> str:
        return f"evfault.{self.cluster}.{tail}"

    # ---- changes -----------------------------------------------------------------------------

    def publish(self, change: Change) -> None:
        super().publish(change)
        if self._sender is None:
            return
        try:
            self._outbox.put_nowait(encode(change, self.node))
        except asyncio.QueueFull:
            self._dropped += 1
            if self._dropped in (1, 10, 100) or self._dropped % 1000 == 0:
                log.warning("NATS is not keeping up: %d changes not sent to the other nodes "
                            "(their dashboards resync from the database)", self._dropped)

    async def _send_forever(self) -> None:
        while True:
            data = await self._outbox.get()
            await self._send(data)

    async def _send(self, data: bytes) -> None:
        nc = self._nc
        if nc is None:
            return
        try:
            await nc.publish(self.subject("changes"), data)
        except Exception:  # NATS away for a moment: this change is missed by the others
            log.warning("publishing a change to NATS failed", exc_info=True)

    async def _flush_outbox(self) -> None:
        while not self._outbox.empty():
            await self._send(self._outbox.get_nowait())
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.flush(timeout=2)

    async def _on_change(self, msg: Msg) -> None:
        try:
            change, origin = decode(msg.data)
        except WireError as exc:
            log.warning("ignored a message on %s: %s", msg.subject, exc)
            return
        if origin != self.node:
            self.deliver_remote(change)

    # ---- calls to chargers another node holds ---------------------------------------------

    async def call(self, node: str, charger_id: str, action: str, payload: dict[str, Any],
                   timeout: float) -> Reply:  # noqa: ASYNC109 - the call's own bound
        """Ask `node` to make an OCPP call to its charger; its answer, as if made here."""
        from evfault.ocpp.session import CallAborted, CallTimeout

        if self._nc is None:
            raise NotHeld("the bus is not connected")
        request = orjson.dumps({"charger_id": charger_id, "action": action,
                                "payload": payload, "timeout": timeout})
        try:
            msg = await self._nc.request(self.subject(f"node.{node}.call"), request,
                                         timeout=timeout + REPLY_SLACK_S)
        except NoRespondersError:
            raise NotHeld(f"node {node}, which holds {charger_id}, does not answer") from None
        except NatsTimeout:
            raise CallTimeout(charger_id, action, timeout, sent=True) from None
        reply = orjson.loads(msg.data)
        kind = reply.get("kind")
        if kind == "result":
            return CallResult(reply["message_id"], reply["payload"])
        if kind == "error":
            return CallError(reply["message_id"], reply["code"], reply["description"],
                             reply.get("details"))
        if kind == "timeout":
            raise CallTimeout(charger_id, action, timeout, sent=bool(reply.get("sent")))
        if kind == "aborted":
            raise CallAborted(charger_id, action)
        raise NotHeld(f"{charger_id} is no longer connected to node {node}")

    async def _carry_out(self, central: CentralSystem, msg: Msg) -> None:
        from evfault.ocpp.session import CallAborted, CallTimeout

        try:
            request = orjson.loads(msg.data)
            charger_id, action = str(request["charger_id"]), str(request["action"])
            payload, limit_s = dict(request["payload"]), float(request["timeout"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("ignored a malformed call request on %s", msg.subject)
            return
        session = central.sessions.get(charger_id)
        answer: dict[str, Any]
        if session is None:
            answer = {"kind": "not-held"}
        else:
            try:
                reply = await session.call(action, payload, limit_s)
            except CallTimeout as exc:
                answer = {"kind": "timeout", "sent": exc.sent}
            except CallAborted:
                answer = {"kind": "aborted"}
            else:
                answer = _reply_json(reply)
        with contextlib.suppress(Exception):  # the asking node may be gone
            await msg.respond(orjson.dumps(answer))

    # ---- connection news ---------------------------------------------------------------------

    async def _on_error(self, exc: Exception) -> None:
        if self._nc is not None and not self._stopping:  # not while the first connect tries
            log.warning("NATS: %s", exc)

    async def _on_disconnected(self) -> None:
        if not self._stopping:
            log.warning("NATS: disconnected from %s; reconnecting", self.url)

    async def _on_reconnected(self) -> None:
        log.info("NATS: reconnected to %s", self.url)


def _reply_json(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, CallResult):
        return {"kind": "result", "message_id": reply.message_id, "payload": reply.payload}
    return {"kind": "error", "message_id": reply.message_id, "code": reply.code,
            "description": reply.description, "details": reply.details}
