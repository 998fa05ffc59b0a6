"""The error part of an OCPP 1.6 StatusNotification → faults, clears and warnings.

(vendorId, vendorErrorCode, info, errorCode) decides everything here and repeats a lot on the
wire (every NoError, every unchanged fault), so the result is memoised on that tuple in a bounded
LRU cache. On a miss — typically a known fault with a fresh reading — the codes' plan and each
(code, info item) fault come from two more caches, so only the new part is worked out.
Everything returned is immutable, so cached results are safely shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from evfault.catalog.catalog import Catalog
from evfault.decode.codes import OCPP16, UNKNOWN, Resolution, make_fault
from evfault.decode.fields import text_field
from evfault.decode.model import DecodeWarning, Fault, SetRule
from evfault.decode.plan import (
    ERROR_CODES,
    NO_ERROR,
    CodePlan,
    Planner,
    field_warnings,
)
from evfault.decode.rules import Rule, show, warn
from evfault.decode.vendors import VendorRegistry


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the error fields of one StatusNotification say."""

    faults: tuple[Fault, ...] = ()
    cleared: tuple[Fault, ...] = ()
    clear_all: bool = False
    rule: SetRule = SetRule.REPLACE
    requires_timestamp: bool = False
    warnings: tuple[DecodeWarning, ...] = ()
    error_code: str | None = None  # errorCode as sent (a number in its place becomes text)


FaultMaker = Callable[
    [Resolution, str, str | None, str | None, str | None], tuple[Fault, DecodeWarning | None]
]


class Interpreter:
    """Reads the error fields against one catalog and one vendor registry."""

    def __init__(self, catalog: Catalog, registry: VendorRegistry, cache_size: int = 16384):
        self.catalog = catalog
        self.planner = Planner(catalog, registry)
        self.resolver = self.planner.resolver
        # typed: 1, 1.0 and True are equal as keys but read differently (and warn differently).
        self.cached: Callable[[object, object, object, object], Outcome] = lru_cache(
            maxsize=cache_size, typed=True
        )(self.uncached)
        self._plan: Callable[[str | None, str | None, str | None], CodePlan] = lru_cache(
            maxsize=max(cache_size // 4, 64)
        )(self.planner.plan)
        self._fault: FaultMaker = lru_cache(maxsize=cache_size)(make_fault)

    def uncached(
        self, vendor_id: object, vendor_error_code: object, info: object, error_code: object
    ) -> Outcome:
        """(vendorId, vendorErrorCode, info, errorCode) as they came, any JSON type.
        Call `cached` instead where the values are hashable."""
        warnings: list[DecodeWarning] = []
        sent = text_field(error_code, "errorCode", warnings)
        vendor = text_field(vendor_id, "vendorId", warnings)
        codes = text_field(vendor_error_code, "vendorErrorCode", warnings)
        text = text_field(info, "info", warnings)
        if text is not None:
            warnings.extend(field_warnings(("info", text)))
        return self._interpret(vendor, codes, text, sent, warnings)

    def _interpret(
        self,
        vendor_id: str | None,
        codes: str | None,
        info: str | None,
        error_code: str | None,
        warnings: list[DecodeWarning],
    ) -> Outcome:
        resolved = resolved_code(info)
        # A resolved message's codes clear, they do not raise: plan errorCode and vendorId only.
        plan = self._plan(vendor_id, None if resolved else codes, error_code)
        warnings.extend(plan.warnings)
        if resolved is not None:
            return self._resolved(plan, resolved, vendor_id, codes, info, warnings)
        if plan.has_codes:
            faults = self._vendor_faults(plan, vendor_id, info, warnings)
            return Outcome(
                faults=faults,
                rule=plan.decoder.rule,
                requires_timestamp=plan.decoder.requires_timestamp,
                warnings=tuple(warnings),
                error_code=plan.sent_error_code,
            )
        return self._plain(plan, vendor_id, codes, info, warnings)

    def _vendor_faults(
        self, plan: CodePlan, vendor_id: str | None, info: str | None, warnings: list[DecodeWarning]
    ) -> tuple[Fault, ...]:
        """One fault per code, each with the N-th info value as its reading or text."""
        infos, info_warnings = plan.decoder.split_info(info, len(plan.items))
        warnings.extend(info_warnings)
        faults = []
        for item, info_item in zip(plan.items, infos, strict=True):
            if item is None:
                continue
            fault, problem = self._fault(item[1], item[0], vendor_id, plan.error_code, info_item)
            if problem is not None:
                warnings.append(problem)
            faults.append(fault)
        return tuple(faults)

    def _resolved(
        self,
        plan: CodePlan,
        code: str,
        vendor_id: str | None,
        codes: str | None,
        info: str | None,
        warnings: list[DecodeWarning],
    ) -> Outcome:
        """EVerest clears one code at a time with info "Error <code> resolved"; errorCode then
        still names the latest active error (EVerest#2455), so it opens nothing."""
        if codes and codes.strip().upper() != code.upper():
            warnings.append(
                warn(
                    Rule.RESOLVED_CODE_MISMATCH,
                    f"info {show(info)} resolves {show(code)} but vendorErrorCode is "
                    f"{show(codes)}; {show(code)} was cleared.",
                )
            )
        warnings.extend(field_warnings(("vendorErrorCode", codes)))
        decoder = self.planner.decoder_for(vendor_id, code)
        found = self.planner.resolve(decoder, code, vendor_id, warnings)
        fault, _ = self._fault(found, code, vendor_id, plan.error_code, info)
        return Outcome(
            cleared=(fault,),
            clear_all=plan.error_code == NO_ERROR,
            rule=SetRule.ACCUMULATE,
            requires_timestamp=decoder.requires_timestamp,
            warnings=tuple(dict.fromkeys(warnings)),
            error_code=plan.sent_error_code,
        )

    def _plain(
        self,
        plan: CodePlan,
        vendor_id: str | None,
        codes: str | None,
        info: str | None,
        warnings: list[DecodeWarning],
    ) -> Outcome:
        """errorCode alone (or NoError beside a leftover vendor code)."""
        faults: tuple[Fault, ...] = ()
        rule = SetRule.REPLACE
        error_code = plan.error_code
        if error_code is None:
            # errorCode is required, but chargers lose it (MicroOcpp#136); a message without it
            # says nothing about errors, so it must not clear any.
            rule = SetRule.ACCUMULATE
        elif error_code != NO_ERROR:
            if error_code in ERROR_CODES:
                found = Resolution(OCPP16, error_code, self.catalog.get(OCPP16, error_code))
            else:
                found = Resolution(UNKNOWN, error_code, None)
            raw = plan.sent_error_code or error_code
            fault, _ = self._fault(found, raw, vendor_id, error_code, info or None)
            faults = (fault,)
        return Outcome(
            faults=faults,
            clear_all=error_code == NO_ERROR,
            rule=rule,
            requires_timestamp=plan.decoder.requires_timestamp and bool(codes),
            warnings=tuple(warnings),
            error_code=plan.sent_error_code,
        )


def resolved_code(info: str | None) -> str | None:
    """The code in an "Error <code> resolved" info (any code, any letter case), else None."""
    if not info or len(info) < 16:
        return None
    text = info.strip()
    lower = text.lower()
    if not (lower.startswith("error ") and lower.endswith(" resolved")):
        return None
    code = text[6:-9].strip()
    return code if code and " " not in code else None
