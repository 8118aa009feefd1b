"""The command registry: one list drives /help and the per-role command menus.

Each feature appends its commands here; a command is shown to a person exactly
when the permission guard would let them use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.authz import Permission, can
from bot.services.people import Actor


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    # None: everyone may use it.  Description key: "cmd.<name>" in the catalogs.
    permission: Permission | None = None
    menu: bool = True  # False: works but is not shown in Telegram's menu (kept short)

    @property
    def description_key(self) -> str:
        return f"cmd.{self.name}"


COMMANDS: list[CommandSpec] = [
    CommandSpec("start"),
    CommandSpec("help"),
    CommandSpec("me"),
    CommandSpec("lang"),
    CommandSpec("cancel", menu=False),
    CommandSpec("invite", Permission.INVITE),
    CommandSpec("team", Permission.MANAGE_TEAMS),
    CommandSpec("promote", Permission.MANAGE_ROLES),
    CommandSpec("demote", Permission.MANAGE_ROLES),
]


def register(*specs: CommandSpec) -> None:
    """Feature modules add their commands at import time, in the order /help shows them."""
    known = {c.name for c in COMMANDS}
    for spec in specs:
        if spec.name not in known:
            COMMANDS.append(spec)
            known.add(spec.name)


# Everyday commands first (what everyone has, then what volunteers use daily, in the order
# of a volunteer's day), then the coordinator tools in registration order.
_EVERYDAY = {Permission.VOLUNTEER, Permission.RECORD_EXPENSE}
_VOLUNTEER_ORDER = ("shifts", "my", "tasks", "done", "events", "calendar", "skills", "expense")


def _help_rank(spec: CommandSpec) -> tuple[int, int]:
    if spec.permission is None:
        return 0, 0
    if spec.permission not in _EVERYDAY:
        return 2, 0
    order = _VOLUNTEER_ORDER.index(spec.name) if spec.name in _VOLUNTEER_ORDER else 99
    return 1, order


def menu_order(specs: list[CommandSpec]) -> list[CommandSpec]:
    return sorted(specs, key=_help_rank)


def commands_for(actor: Actor) -> list[CommandSpec]:
    """The commands this person may use: everyday ones first, registration order within."""
    allowed = [c for c in COMMANDS if c.permission is None or can(actor, c.permission)]
    return sorted(allowed, key=_help_rank)
