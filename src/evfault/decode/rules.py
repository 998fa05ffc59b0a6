"""Stable ids of the conformance warnings the decoders raise, and the one way to build them.

The ids are part of the output contract (the CLI, `POST /decode` and the conformance checker show
them), so a rule keeps its id once released; add new ids rather than renaming old ones.
"""

from __future__ import annotations

from enum import StrEnum

from evfault.decode.model import DecodeWarning


class Rule(StrEnum):
    """Why a message is off-spec. The value is the id people and programs see."""

    # Reading the input at all
    UNREADABLE = "unreadable"  # not JSON, or no JSON found on a log line
    FRAME_SHAPE = "frame-shape"  # an OCPP-J array of the wrong length or element types
    PAYLOAD_UNRECOGNISED = "payload-unrecognised"  # a bare payload no action fits
    VERSION_MISMATCH = "version-mismatch"  # the payload's shape belongs to the other version

    # Fields of the payload
    FIELD_MISSING = "field-missing"  # a required field is absent
    FIELD_TYPE = "field-type"  # a field has the wrong JSON type
    FIELD_LENGTH = "field-length"  # longer than its CiString limit
    FIELD_CHARSET = "field-charset"  # CiString allows printable ASCII only
    CONNECTOR_ID = "connector-id"  # not a non-negative integer
    STATUS_UNKNOWN = "status-unknown"  # not a ChargePointStatus / ConnectorStatusEnumType value

    # errorCode and vendor codes
    ERROR_CODE_UNKNOWN = "error-code-unknown"  # not one of the 16 ChargePointErrorCode values
    ERROR_CODE_CASE = "error-code-case"  # an enum value in the wrong letter case
    ERROR_CODE_MISMATCH = "error-code-mismatch"  # errorCode is not the one the code travels with
    ERROR_CODE_CONFLICT = "error-code-conflict"  # NoError sent together with a vendor code
    VENDOR_ID_MISSING = "vendor-id-missing"  # a scheme's code sent without any vendorId
    VENDOR_ID_MISMATCH = "vendor-id-mismatch"  # a scheme's code sent under another vendorId
    CODE_UNKNOWN = "code-unknown"  # no catalog entry for the code
    CODE_EMPTY_ITEM = "code-empty-item"  # "F001,,F003"
    CODE_WHITESPACE = "code-whitespace"  # "F001, F003"
    CODE_CASE = "code-case"  # "f001"
    RESOLVED_CODE_MISMATCH = "resolved-code-mismatch"  # "Error CX002 resolved" with CX003

    # info and readings
    INFO_COUNT_MISMATCH = "info-count-mismatch"  # N codes but M info values
    INFO_WHITESPACE = "info-whitespace"  # "1.11, 5.00"
    READING_NOT_NUMERIC = "reading-not-numeric"  # a code with a measurement, info not a number

    # Timestamps
    TIMESTAMP_FORMAT = "timestamp-format"  # not ISO 8601 / RFC 3339 date-time
    TIMESTAMP_NOT_UTC = "timestamp-not-utc"  # an offset other than Z / +00:00, or none at all
    TIMESTAMP_MISSING = "timestamp-missing"  # MREC requires a timestamp


def warn(rule: Rule, message: str) -> DecodeWarning:
    """A warning with a stable rule id and one sentence for a person."""
    return DecodeWarning(rule=rule.value, message=message)


def show(value: object, limit: int = 60) -> str:
    """A value from the wire as it appears in a warning: repr, cut to `limit` characters.

    repr itself can fail on hostile input (an int past Python's 4300-digit limit, nesting past
    the recursion limit); a warning must never raise.
    """
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"
