"""The steps a code's catalog entry recommends that evfault can take remotely, as commands.

Pure. The catalog's operator steps are text for people ("Try a soft reset (Reset Soft), then a
hard reset if the error stays", "send UnlockConnector for that connector"); read in English,
the language every entry is written in first, a step that asks for a reset, an unlock or taking
the connector out of service becomes a one-click action next to the step, in any language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

# (what the step says, the action's name, the command, its args); the connector comes later.
_RULES: tuple[tuple[re.Pattern[str], str, str, dict[str, Any]], ...] = (
    (re.compile(r"unlockconnector|remote unlock", re.I), "unlock", "unlock_connector", {}),
    (re.compile(r"soft reset|reset soft|^restart the charger", re.I), "soft_reset", "reset",
     {"type": "soft"}),
    (re.compile(r"hard reset|reset hard", re.I), "hard_reset", "reset", {"type": "hard"}),
    (re.compile(r"^(take|keep) the connector out of service", re.I), "inoperative",
     "change_availability", {"available": False}),
)
# Actions that take a connector (the one the error is on).
PER_CONNECTOR = frozenset({"unlock", "inoperative"})


@cache
def step_actions(steps: Sequence[str]) -> tuple[tuple[int, str, str, tuple[tuple[str, Any],
                                                                         ...]], ...]:
    """(step index, action name, command, args) for every step evfault can carry out."""
    found = []
    for index, step in enumerate(steps):
        for pattern, name, command, args in _RULES:
            if pattern.search(step.strip()):
                found.append((index, name, command, tuple(args.items())))
    return tuple(found)


def actions_json(steps: Sequence[str]) -> list[dict[str, Any]]:
    """The step actions as the explanation JSON carries them (the page adds the connector)."""
    return [{"step": index, "action": name, "command": command, "args": dict(args),
             "per_connector": name in PER_CONNECTOR}
            for index, name, command, args in step_actions(tuple(steps))]
