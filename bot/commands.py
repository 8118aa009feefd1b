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


def commands_for(actor: Actor) -> list[CommandSpec]:
    return [c for c in COMMANDS if c.permission is None or can(actor, c.permission)]
