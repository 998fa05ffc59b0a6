"""The entry points: an OCPP-J frame, a bare payload or a log line → Decoded.

Nothing here raises on bad input: whatever a charger or a log file holds comes back as a Decoded
with warnings. The server, `evfault decode` and the log analyser share this one path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import orjson

from evfault.catalog.catalog import Catalog, default_catalog
from evfault.decode import ocpp16, ocpp201
from evfault.decode.build import positional_builder
from evfault.decode.frames import CALL, Frame, FrameProblem, find_json, parse_value
from evfault.decode.interpret import Interpreter
from evfault.decode.model import (
    FAULTED_NO_CODE,
    PLATFORM,
    Decoded,
    DecodeWarning,
    Fault,
    faulted,
)
from evfault.decode.rules import Rule, show, warn
from evfault.decode.vendors import VendorRegistry, default_registry

STATUS_NOTIFICATION = "StatusNotification"
NOTIFY_EVENT = "NotifyEvent"

# Rule id of the last-resort guard: seeing it means a decoder bug, never a charger's fault.
INTERNAL = "decoder-internal"

_build_decoded = positional_builder(Decoded)  # positional, in field order: see build.py

# How callers name a connection's version (the WebSocket subprotocol, or a person).
_VERSIONS = {
    "1.6": "1.6",
    "1.6j": "1.6",
    "16": "1.6",
    "2.0.1": "2.0.1",
    "201": "2.0.1",
    "2.1": "2.1",
}


class Decoder:
    """Decodes messages against one catalog and one vendor registry (defaults: the bundled
    ones). Holds the memo of error-field interpretations, so reuse one instance."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        registry: VendorRegistry | None = None,
        cache_size: int = 16384,
    ) -> None:
        self.catalog = catalog if catalog is not None else default_catalog()
        self.registry = registry if registry is not None else default_registry()
        self.interpreter = Interpreter(self.catalog, self.registry, cache_size)
        entry = self.catalog.get(PLATFORM, FAULTED_NO_CODE)
        self._faulted_no_code = Fault(PLATFORM, FAULTED_NO_CODE, FAULTED_NO_CODE, entry)

    # -- entry points --------------------------------------------------------------------------

    def decode(self, message: object, version: str | None = None) -> Decoded:
        """Any input: a parsed frame (list), a payload (dict), or text/bytes holding either."""
        if isinstance(message, str | bytes):
            return self.decode_text(message, version)
        if isinstance(message, list):
            return self.decode_frame(message, version)
        if isinstance(message, dict):
            return self.decode_payload(None, message, version)
        return _unreadable(f"{show(message)} is neither an OCPP-J frame nor a payload.")

    def decode_text(self, line: str | bytes, version: str | None = None) -> Decoded:
        """A line of text: a frame, a payload, or either behind a log prefix."""
        try:
            try:
                value = orjson.loads(line)  # the common case: the line is the message
            except orjson.JSONDecodeError:
                return self._log_line(line, version)
            if type(value) is list:
                return self._frame(value, version)
            if type(value) is dict:
                return self._payload(None, value, version, None)
            return self._log_line(line, version)  # e.g. a frame logged as a JSON string
        except Exception as exc:  # the contract: bad input never raises
            return _internal(exc)

    def decode_frame(self, frame: object, version: str | None = None) -> Decoded:
        """An OCPP-J frame, parsed (a list) or as text."""
        if isinstance(frame, str | bytes):
            return self.decode_text(frame, version)
        if not isinstance(frame, list):
            return _unreadable(f"{show(frame)} is not an OCPP-J frame (a JSON array).")
        try:
            return self._frame(frame, version)
        except Exception as exc:
            return _internal(exc)

    def decode_payload(
        self, action: str | None, payload: object, version: str | None = None
    ) -> Decoded:
        """A bare payload (dict or JSON text); with no action, the action is told by its keys."""
        try:
            if isinstance(payload, str | bytes):
                payload = orjson.loads(payload)
            if not isinstance(payload, dict):
                return _unreadable(f"payload {show(payload)} is not a JSON object.")
            return self._payload(action, payload, version, None)
        except orjson.JSONDecodeError:
            return _unreadable(f"payload {show(payload)} is not JSON.")
        except Exception as exc:
            return _internal(exc)

    # -- frames --------------------------------------------------------------------------------

    def _log_line(self, line: str | bytes, version: str | None) -> Decoded:
        found = find_json(line)
        if found is None:
            return _unreadable(f"no JSON message found in {show(line)}.")
        value, prefix = found
        if isinstance(value, list):
            decoded = self._frame(value, version)
        elif isinstance(value, dict):
            decoded = self._payload(None, value, version, None)
        else:
            return _unreadable(f"{show(value)} is neither an OCPP-J frame nor a payload.")
        return replace(decoded, prefix=prefix) if prefix else decoded

    def _frame(self, frame: list[object], version: str | None) -> Decoded:
        try:
            parsed = parse_value(frame)
        except FrameProblem as problem:
            return self._odd_frame(frame, version, problem)
        if parsed.kind != CALL:
            # Answers from the central system carry no charger faults.
            return Decoded(message_id=parsed.message_id, warnings=_deviations(parsed))
        action, payload, message_id = parsed.action, parsed.payload, parsed.message_id
        if action == STATUS_NOTIFICATION:
            if version is None and ("errorCode" in payload or "status" in payload):
                # The hot path: a 1.6 StatusNotification, nothing to reconcile.
                report, found = ocpp16.status_notification(payload, self.interpreter)
                return _build_decoded(
                    ocpp16.VERSION, action, message_id, (report,), found, payload
                )
            return self._status_notification(payload, version, message_id, ())
        return self._payload(action, payload, version, message_id)

    def _odd_frame(self, frame: list[object], version: str | None,
                   problem: FrameProblem) -> Decoded:
        """A CALL that bends the OCPP-J shape: decode what can be read, say what was wrong."""
        warning = _frame_warning(problem.description)
        if len(frame) < 4 or problem.kind != CALL:
            return Decoded(message_id=problem.message_id, warnings=(warning,))
        action, payload = frame[2], frame[3]
        if not isinstance(action, str) or not isinstance(payload, dict):
            return Decoded(message_id=problem.message_id, warnings=(warning,))
        decoded = self._payload(action, payload, version, problem.message_id)
        return _add_warnings(decoded, [warning])

    # -- payloads ------------------------------------------------------------------------------

    def _payload(
        self,
        action: str | None,
        payload: dict[str, object],
        version: str | None,
        message_id: str | None,
    ) -> Decoded:
        if action is None:
            action = guess_action(payload)
            if action is None:
                warning = _unrecognised(payload)
                return Decoded(message_id=message_id, warnings=(warning,), payload=payload)
        if action == STATUS_NOTIFICATION:
            return self._status_notification(payload, version, message_id, ())
        if action == NOTIFY_EVENT:
            reports, found = ocpp201.notify_event(payload, self.interpreter.resolver)
            return Decoded(
                version=ocpp201.VERSION,
                action=action,
                message_id=message_id,
                reports=tuple(reports),
                warnings=tuple(found),
                payload=payload,
            )
        # Every other action (BootNotification, Heartbeat, ...) reports no fault; the tracker
        # still sees it (a boot ends errors the charger does not repeat).
        return Decoded(
            version=_version(version), action=action, message_id=message_id, payload=payload
        )

    def _status_notification(
        self,
        payload: dict[str, object],
        version: str | None,
        message_id: str | None,
        extra: tuple[DecodeWarning, ...],
    ) -> Decoded:
        """1.6 or 2.0.1, told by the payload's own fields; the connection's version (if known)
        only decides a payload that has neither kind."""
        shape = _status_shape(payload)
        asked = _version(version)
        if asked is not None:
            if shape is not None and _family(asked) != shape:
                extra = (*extra, _version_warning(asked, shape))
            shape = shape or _family(asked)
        if shape == "2":
            report, found = ocpp201.status_notification(payload)
            used = ocpp201.VERSION
        else:
            report, found = ocpp16.status_notification(payload, self.interpreter)
            used = ocpp16.VERSION
        if not report.faults and faulted(report.status):
            report = replace(report, unexplained=self._faulted_no_code)
        return _build_decoded(
            used,
            STATUS_NOTIFICATION,
            message_id,
            (report,),
            extra + found if extra else found,
            payload,
        )


def guess_action(payload: Mapping[str, object]) -> str | None:
    """The action a bare payload belongs to, told by the keys only it has."""
    if "eventData" in payload:
        return NOTIFY_EVENT
    if _status_shape(payload) is not None:
        return STATUS_NOTIFICATION
    return None


def _status_shape(payload: Mapping[str, object]) -> str | None:
    """ "1.6", "2" (2.0.1 and later), or None when the keys say neither."""
    if "errorCode" in payload or "status" in payload:
        return "1.6"
    if "connectorStatus" in payload or "evseId" in payload:
        return "2"
    return None


def _version(version: str | None) -> str | None:
    """ "1.6", "2.0.1" or "2.1" from "ocpp1.6", "1.6J", ...; None when unknown or not given."""
    if not isinstance(version, str):
        return None
    return _VERSIONS.get(version.strip().lower().removeprefix("ocpp").strip())


def _family(version: str) -> str:
    return "1.6" if version == "1.6" else "2"


def _deviations(frame: Frame) -> tuple[DecodeWarning, ...]:
    return tuple(_frame_warning(text) for text in frame.deviations)


def _frame_warning(description: str) -> DecodeWarning:
    return warn(Rule.FRAME_SHAPE, f"not an OCPP-J frame: {description}.")


def _version_warning(asked: str, shape: str) -> DecodeWarning:
    other = "OCPP 1.6" if shape == "1.6" else "OCPP 2.0.1"
    return warn(
        Rule.VERSION_MISMATCH,
        f"a StatusNotification on an OCPP {asked} connection has the fields of {other}; "
        f"decoded as {other}.",
    )


def _unrecognised(payload: Mapping[str, object]) -> DecodeWarning:
    keys = ", ".join(sorted(str(k) for k in payload)[:8]) or "no keys"
    return warn(
        Rule.PAYLOAD_UNRECOGNISED,
        f"a payload with {keys} is neither a StatusNotification nor a NotifyEvent.",
    )


def _unreadable(message: str) -> Decoded:
    return Decoded(warnings=(warn(Rule.UNREADABLE, message),))


def _internal(exc: Exception) -> Decoded:
    message = f"the decoder failed on this message ({type(exc).__name__}); please report it."
    return Decoded(warnings=(DecodeWarning(rule=INTERNAL, message=message),))


def _add_warnings(decoded: Decoded, extra: list[DecodeWarning]) -> Decoded:
    return replace(decoded, warnings=(*extra, *decoded.warnings))
