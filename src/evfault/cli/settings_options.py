"""Typer options generated from the settings table: one option and one EVFAULT_* twin each."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Optional

import typer

from evfault.errors import UserError
from evfault.settings import TABLE, Settings, SettingsError, from_env


def _parameter(name: str, kind: type, option: str, env: str, help_text: str,
               default: Any) -> inspect.Parameter:
    spelled = option if kind is not bool else f"{option}/--no-{option[2:]}"
    info = typer.Option(None, spelled, envvar=env, show_envvar=True,
                        help=f"{help_text} [default: {default}]")
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=info,
                             annotation=Optional[kind])  # noqa: UP045 - Typer reads it


def with_settings(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add every setting as an option; the command receives them as `settings: Settings`."""
    own = [p for p in inspect.signature(func).parameters.values() if p.name != "settings"]
    extra = [_parameter(s.name, s.type, s.option, s.env, s.help, s.default) for s in TABLE]

    @functools.wraps(func)
    def wrapper(**values: Any) -> Any:
        given = {s.name: values.pop(s.name) for s in TABLE}
        return func(settings=settings_from(given), **values)

    wrapper.__signature__ = inspect.Signature(own + extra)  # type: ignore[attr-defined]
    return wrapper


def settings_from(options: dict[str, Any]) -> Settings:
    """Defaults, overridden by what was given (the environment is folded in by Typer)."""
    try:
        base = from_env({})
    except SettingsError as exc:  # pragma: no cover - the empty mapping cannot fail
        raise UserError(str(exc)) from None
    return base.with_overrides(**options)
