"""Typer options generated from the settings table: one option and one EVFAULT_* twin each."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer

from evfault.errors import UserError
from evfault.settings import BY_NAME, TABLE, Setting, Settings, SettingsError, from_env


def _help(one: Setting) -> str:
    allowed = f" One of: {', '.join(one.rule.choices)}." if one.rule.choices else ""
    return f"{one.help}{allowed} [default: {one.shown_default}]"


def _option(one: Setting) -> Any:
    spelled = one.option if one.type is not bool else f"{one.option}/--no-{one.option[2:]}"
    return typer.Option(None, spelled, envvar=one.env, show_envvar=True, help=_help(one),
                        show_default=False, rich_help_panel=f"{one.rule.section} settings")


def _parameter(one: Setting) -> inspect.Parameter:
    return inspect.Parameter(one.name, inspect.Parameter.KEYWORD_ONLY, default=_option(one),
                             annotation=Optional[one.type])  # noqa: UP045 - Typer reads it


def with_settings(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add every setting as an option; the command receives them as `settings: Settings`."""
    own = [p for p in inspect.signature(func).parameters.values() if p.name != "settings"]
    extra = [_parameter(s) for s in TABLE]

    @functools.wraps(func)
    def wrapper(**values: Any) -> Any:
        given = {s.name: values.pop(s.name) for s in TABLE}
        return func(settings=settings_from(given), **values)

    wrapper.__signature__ = inspect.Signature(own + extra)  # type: ignore[attr-defined]
    return wrapper


def settings_from(options: dict[str, Any]) -> Settings:
    """Defaults, overridden by what was given (the environment is folded in by Typer)."""
    try:
        return Settings().with_overrides(**options)
    except SettingsError as exc:
        raise UserError(str(exc)) from None


def _single(name: str) -> Any:
    one = BY_NAME[name]
    return typer.Option(one.option, envvar=one.env, show_envvar=True, help=_help(one),
                        show_default=False)


# `--db` for every command that opens the database but is not the server (chargers, users,
# check --charger, export): the same declaration, default and environment twin as `serve`'s.
DbOpt = Annotated[str, _single("db")]
DEFAULT_DB: str = BY_NAME["db"].default


def checked_db(url: str) -> str:
    """The --db value after the table's check (one sentence when it cannot be used)."""
    try:
        BY_NAME["db"].check(url)
    except SettingsError as exc:
        raise UserError(str(exc)) from None
    return url


def env_settings() -> Settings:
    """Settings from EVFAULT_* alone, for commands without the server's options (scan)."""
    try:
        return from_env()
    except SettingsError as exc:
        raise UserError(str(exc)) from None
