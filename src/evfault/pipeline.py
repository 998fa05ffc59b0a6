"""The one message path: a charger's frame in, the answer, the rows to store and the changes out.

Pure: no event loop, no database, no clock of its own. The live server (ocpp/session.py and
ocpp/central.py) and the log reader (`evfault analyze`) both hand every frame to the same
`MessagePath`, so the same frames always give the same incidents. Whoever calls it does the I/O:
commit `Processed.batch`, then publish `Processed.changes` and send `Processed.answer`.

    path = MessagePath(tracker, PathConfig(heartbeat_interval=300))
    done = path.incoming("CP-1", "1.6", '[2,"1","Heartbeat",{}]', received_at)
    done.answer  # '[3,"1",{"currentTime":"…"}]'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from evfault.auth.tags import TagBook
from evfault.conformance import Judge
from evfault.decode.model import DecodeWarning
from evfault.ocpp.admission import Registration
from evfault.ocpp.guard import Bounds, guard
from evfault.ocpp.outcome import ACCEPT_ALL, Handler, HandlerContext, Outcome, transaction_ids
from evfault.ocpp.rpc import (
    Call,
    CallError,
    CallResult,
    Fault,
    RpcError,
    call_error,
    call_result,
    parse_frame,
)
from evfault.ocpp.schemas import validate_request
from evfault.ocpp.v16 import handlers as v16_handlers
from evfault.ocpp.v201 import handlers as v201_handlers
from evfault.store.model import ChargerUpdate, ConnectorUpdate, MessageRow, WriteBatch
from evfault.tracking.model import (
    Change,
    Connected,
    ConnectivityChange,
    Disconnected,
    Event,
    Heard,
    IncidentChange,
    ReportReceived,
    StatusChange,
)
from evfault.tracking.tracker import Tracker

HANDLERS: dict[str, dict[str, Handler]] = {
    "1.6": v16_handlers.HANDLERS,
    "2.0.1": v201_handlers.HANDLERS,
}
VERSIONS = tuple(HANDLERS)
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PathConfig:
    """What the message path needs of the settings."""

    heartbeat_interval: int = 300  # s, told to chargers in the BootNotification answer
    bounds: Bounds = field(default_factory=Bounds)  # what one message may carry
    # Conformance warnings change no incident: the log reader (`evfault analyze`), which
    # reports none, turns the judging off and reads a log twice as fast.
    judge: bool = True
    bad_frames_per_hour: int = 1000  # rejected frames of one charger logged per hour; 0: all
    bad_frame_keep: int = 4096  # characters of a rejected frame kept in the log


@dataclass(slots=True)
class PathCounters:
    """What the guards refused or cut off since the start (for operators and tests)."""

    bounded_messages: int = 0  # messages whose excess codes, events or text were cut off
    dropped_items: int = 0  # the codes, events (or characters of one item) cut off
    refused_values: int = 0  # messages answered CALLERROR for a value no database can hold
    unlogged_bad_frames: int = 0  # rejected frames answered but not logged (over the quota)


@dataclass(slots=True)
class Processed:
    """Everything one frame (or connection event, or tick) causes, before any I/O."""

    batch: WriteBatch
    changes: list[Change] = field(default_factory=list)
    answer: str | None = None  # the frame to send back; None when nothing is answered
    warnings: tuple[DecodeWarning, ...] = ()
    reply: CallResult | CallError | None = None  # the charger's answer to one of our calls
    error: RpcError | None = None  # why the frame was answered with a CALLERROR
    action: str | None = None
    message_id: str | None = None


class MessagePath:
    """Frame → parse → handler → tracker → rows and changes, for any number of chargers."""

    def __init__(
        self,
        tracker: Tracker,
        config: PathConfig | None = None,
        next_transaction_id: Callable[[], int] | None = None,
        tags: TagBook | None = None,
    ) -> None:
        self.tracker = tracker
        self.config = config or PathConfig()
        self.next_transaction_id = next_transaction_id or transaction_ids()
        # idTags: the server's allow-list; log analysis accepts all
        self.tags = tags if tags is not None else ACCEPT_ALL
        self.counters = PathCounters()
        # The one rule set (evfault check's): what a charger's call is flagged with here is what
        # `evfault decode` and `evfault check` say of the same frame.
        self.judge = Judge()
        # chargePointVendor of each charger's last boot: its maker's vendor packs read its codes.
        self.vendors: dict[str, str] = {}
        self._bad_frames: dict[str, tuple[datetime, int]] = {}  # charger → (hour began, count)

    # ---- frames from a charger ---------------------------------------------------------------

    def incoming(self, charger_id: str, version: str, text: str, received_at: datetime,
                 registration: Registration = Registration.ACCEPTED,
                 busy_retry: int | None = None) -> Processed:
        """One frame a charger sent, handled completely (but nothing stored or sent yet).

        `registration`: the charger's standing in the registry (a pending one boots Pending);
        `busy_retry`: the server is overloaded, a boot is told to come back in that many s."""
        try:
            frame = parse_frame(text)
            if isinstance(frame, Call):
                return self._call(charger_id, version, frame, text, received_at, registration,
                                  busy_retry)
            return self._reply(charger_id, frame, text, received_at)
        except RpcError as error:
            return self._bad_frame(charger_id, version, error, text, received_at)

    def rejected(self, charger_id: str, version: str, error: RpcError, text: str,
                 received_at: datetime, action: str | None = None) -> Processed:
        """A frame answered with a CALLERROR: both frames are logged, nothing is tracked."""
        answer = call_error(error, version)
        batch = WriteBatch(messages=[
            MessageRow(charger_id, "in", received_at, text, action, error.message_id),
            MessageRow(charger_id, "out", received_at, answer, action, error.message_id),
        ])
        return Processed(batch, answer=answer, error=error, action=action,
                         message_id=error.message_id)

    def _bad_frame(self, charger_id: str, version: str, error: RpcError, text: str,
                   received_at: datetime) -> Processed:
        """A frame from the charger that was wrong: always answered; logged within the quota
        (`bad_frames_per_hour`), and then only its first `bad_frame_keep` characters."""
        if not self._within_quota(charger_id, received_at):
            self.counters.unlogged_bad_frames += 1
            done = self.rejected(charger_id, version, error, text, received_at)
            done.batch = WriteBatch()
            return done
        return self.rejected(charger_id, version, error, self._cut(text), received_at)

    def _cut(self, text: str) -> str:
        """A frame to log that may be huge: its first `bad_frame_keep` characters."""
        keep = self.config.bad_frame_keep
        if len(text) <= keep:
            return text
        return f"{text[:keep]}… [{len(text) - keep} more characters not kept]"

    def _within_quota(self, charger_id: str, at: datetime) -> bool:
        quota = self.config.bad_frames_per_hour
        if quota <= 0:
            return True
        began, count = self._bad_frames.get(charger_id, (at, 0))
        if at - began >= HOUR:
            began, count = at, 0
        self._bad_frames[charger_id] = (began, count + 1)
        return count < quota

    def _call(self, charger_id: str, version: str, call: Call, raw: str, received_at: datetime,
              registration: Registration, busy_retry: int | None = None) -> Processed:
        handler = self._handler_for(version, call)
        validate_request(version, call.action, call.payload, call.message_id)
        call, flagged, bounded = self._guarded(version, call, raw)
        if bounded:  # its excess is not stored: not in the log either
            raw = self._cut(raw)
        outcome = self._run(handler, charger_id, call, received_at, registration, busy_retry)
        if outcome.charger is not None and outcome.charger.vendor:
            self.vendors[charger_id] = outcome.charger.vendor
        answer = call_result(call.message_id, outcome.response)
        batch = WriteBatch(
            messages=[MessageRow(charger_id, "in", received_at, raw, call.action, call.message_id),
                      MessageRow(charger_id, "out", received_at, answer, call.action,
                                 call.message_id)],
            chargers=[outcome.charger or ChargerUpdate(charger_id, last_seen=received_at)],
            status_events=outcome.status_events,
        )
        changes = self._track(batch, outcome.events)
        warnings = flagged
        if self.config.judge:
            warnings += self.judge.call_warnings(version, call.action, call.payload)
        return Processed(batch, changes, answer, warnings, action=call.action,
                         message_id=call.message_id)

    def _guarded(self, version: str, call: Call, raw: str
                 ) -> tuple[Call, tuple[DecodeWarning, ...], bool]:
        """The call with a payload the store can hold and the tracker can afford (ocpp/guard)."""
        try:
            done = guard(version, call.action, call.payload, call.message_id, raw,
                         self.config.bounds)
        except RpcError:
            self.counters.refused_values += 1
            raise
        if done.dropped:
            self.counters.bounded_messages += 1
            self.counters.dropped_items += done.dropped
        if done.payload is not call.payload:
            call = Call(call.message_id, call.action, done.payload)
        return call, done.warnings, done.dropped > 0

    def _handler_for(self, version: str, call: Call) -> Handler:
        handler = HANDLERS[version].get(call.action)
        if handler is not None:
            return handler
        validate_request(version, call.action, call.payload, call.message_id)
        # The schema exists, so the action is real OCPP — just not one a charger sends to us.
        raise RpcError(Fault.NOT_SUPPORTED, f"{call.action} is not handled by a central system",
                       call.message_id)

    def _run(self, handler: Handler, charger_id: str, call: Call, received_at: datetime,
             registration: Registration, busy_retry: int | None = None) -> Outcome:
        ctx = HandlerContext(charger_id, received_at, self.config.heartbeat_interval,
                             self.next_transaction_id, registration, busy_retry=busy_retry,
                             tags=self.tags, charger_vendor=self.vendors.get(charger_id))
        try:
            return handler(ctx, call.payload)
        except Exception as exc:
            # A handler bug must cost this message a CALLERROR, never the connection.
            raise RpcError(Fault.INTERNAL, f"evfault could not process {call.action}",
                           call.message_id, {"exception": type(exc).__name__}) from exc

    def _reply(self, charger_id: str, frame: CallResult | CallError, raw: str, at: datetime
               ) -> Processed:
        batch = WriteBatch(messages=[MessageRow(charger_id, "in", at, raw, None, frame.message_id)],
                           chargers=[ChargerUpdate(charger_id, last_seen=at)])
        # An answer to one of our calls is a sign of life like any other message (the
        # liveness probe's TriggerMessage is answered even by chargers that never heartbeat).
        changes = self._track(batch, [Heard(charger_id, at)])
        return Processed(batch, changes, reply=frame, message_id=frame.message_id)

    # ---- connections and time ------------------------------------------------------------------

    def connected(self, charger_id: str, version: str, at: datetime, node: str | None = None
                  ) -> Processed:
        update = ChargerUpdate(charger_id, last_seen=at, protocol=version, online=True, node=node)
        batch = WriteBatch(chargers=[update])
        return Processed(batch, self._track(batch, [Connected(charger_id, at)]))

    def disconnected(self, charger_id: str, at: datetime) -> Processed:
        batch = WriteBatch()
        return Processed(batch, self._track(batch, [Disconnected(charger_id, at)]))

    def tick(self, now: datetime) -> list[Change]:
        """Time-driven changes (offline after the grace, reboot windows run out)."""
        return self.tracker.tick(now)

    # ---- the tracker ---------------------------------------------------------------------------

    def _track(self, batch: WriteBatch, events: Iterable[Event]) -> list[Change]:
        events = list(events)
        changes: list[Change] = []
        for event in events:
            changes.extend(self.tracker.handle(event))
        batch.connectors.extend(connector_updates(events))
        add_changes(batch, changes)
        return changes


def tick_batch(changes: Iterable[Change]) -> WriteBatch:
    """The rows time-driven changes are stored as (the charger's online flag with them)."""
    batch = WriteBatch()
    changes = list(changes)
    add_changes(batch, changes)
    for change in changes:
        if isinstance(change, ConnectivityChange):
            batch.chargers.append(ChargerUpdate(change.charger_id, online=change.online))
    return batch


def add_changes(batch: WriteBatch, changes: Iterable[Change]) -> None:
    """Route tracker changes into the tables that hold them."""
    for change in changes:
        if isinstance(change, IncidentChange):
            batch.incidents.append(change.incident)
        elif isinstance(change, StatusChange):
            batch.status_changes.append(change)
        elif isinstance(change, ConnectivityChange):
            batch.connectivity.append(change)


def connector_updates(events: Iterable[Event]) -> list[ConnectorUpdate]:
    return [
        ConnectorUpdate(e.charger_id, e.report.connector_id, e.report.status, e.report.error_code,
                        e.received_at)
        for e in events
        if isinstance(e, ReportReceived) and e.report.status is not None
    ]
