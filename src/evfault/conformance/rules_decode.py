"""Rules whose judge is the decoder: what it observes while reading a StatusNotification's or a
NotifyEvent's fields (decode/rules.py) becomes a finding here, under the decoder's stable id.

One defect is one finding. Where the schema and MREC rules already judge a defect, the decoder's
observation of it is not a rule of its own (`JUDGED_ELSEWHERE`); where a closer rule judges it
only for MREC messages, the decoder's rule yields to that one when it applies (`yields_to`), and
speaks for every other vendor's messages.
"""

from __future__ import annotations

from evfault.conformance.model import Severity
from evfault.conformance.registry import Check, Verdict, bad, rule
from evfault.conformance.subject import Subject
from evfault.decode.rules import Rule

# Decoder observations another rule judges for every message: shown under that rule's id.
JUDGED_ELSEWHERE: dict[Rule, str] = {
    Rule.UNREADABLE: "frame",
    Rule.FRAME_SHAPE: "frame",
    Rule.PAYLOAD_UNRECOGNISED: "frame",
    Rule.FIELD_MISSING: "ocpp-schema",
    Rule.FIELD_TYPE: "ocpp-schema",
    Rule.CONNECTOR_ID: "ocpp-schema",
    Rule.STATUS_UNKNOWN: "ocpp-schema",
    Rule.ERROR_CODE_UNKNOWN: "ocpp-schema",
    Rule.ERROR_CODE_CASE: "ocpp-schema",
    Rule.FIELD_LENGTH: "cistring-length",
    Rule.TIMESTAMP_FORMAT: "timestamp-format",
    Rule.TIMESTAMP_NOT_UTC: "timestamp-format",  # no zone; MREC's UTC: mrec-timestamp
    Rule.TIMESTAMP_MISSING: "mrec-timestamp",
    Rule.VENDOR_ID_MISSING: "mrec-vendor-id",
    Rule.VENDOR_ID_MISMATCH: "mrec-vendor-id",
    # The server validates against its connection's version, so a payload of the other version
    # never gets this far there; elsewhere the version is told by the payload itself.
    Rule.VERSION_MISMATCH: "ocpp-schema",
    # Only codes whose entries carry an errorCode, a measurement or a compound pairing can
    # break these: today those are MREC codes, which the MREC rules judge.
    Rule.ERROR_CODE_MISMATCH: "mrec-error-code",
    Rule.CODE_EMPTY_ITEM: "mrec-unknown-code",
    Rule.RESOLVED_CODE_MISMATCH: "chargex-resolved",
    Rule.INFO_COUNT_MISMATCH: "mrec-info-pairing",
}

# (decoder rule, what it asks, the MREC rules that judge it more closely where they apply)
_OWN: tuple[tuple[Rule, str, tuple[str, ...]], ...] = (
    (Rule.FIELD_CHARSET, "CiString fields (vendorId, vendorErrorCode, info) hold printable "
     "ASCII only.", ()),
    (Rule.ERROR_CODE_CONFLICT, "errorCode NoError comes without a vendor code (a placeholder "
     "such as 0 aside).", ("mrec-error-code",)),
    (Rule.CODE_UNKNOWN, "Every code is one the catalog knows for the scheme its vendorId "
     "names; an unknown vendor code is kept as it came.", ("mrec-unknown-code",)),
    (Rule.CODE_WHITESPACE, "Codes in a compound vendorErrorCode have no spaces around them "
     "(F001,F003, not F001, F003).", ()),
    (Rule.CODE_CASE, "A code is written in its scheme's letter case (F001, not f001).", ()),
    (Rule.INFO_WHITESPACE, "The values in info have no spaces around them (1.11,5.00).", ()),
    (Rule.READING_NOT_NUMERIC, "A reading paired with a code that measures something is a "
     "number.", ("mrec-reading",)),
)


def _observed(decoder_rule: Rule) -> Check:
    def check(s: Subject) -> Verdict | None:
        if s.decoded is None:
            return None
        said = [w.message for w in s.decoded.warnings if w.rule == decoder_rule.value]
        return bad(" ".join(dict.fromkeys(said))) if said else None

    return check


for _rule, _text, _closer in _OWN:
    rule(_rule.value, _text, Severity.WARNING, group="ocpp", yields_to=_closer)(
        _observed(_rule)
    )
