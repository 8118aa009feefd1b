"""The command table: one list drives /help and the per-role command menus.

Each feature declares its commands (`Feature.commands`); the app merges them, in the
feature order, into one `CommandTable`.  A command is shown to a person exactly when
the permission guard would let them use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.services.authz import Permission, can, is_team_scoped
from bot.services.people.members import Actor

# /help's sections, in the order people need them: what everyone does every day first, then
# what coordinators do, grouped by the work (help.group.<name> in the catalogs).
HELP_GROUPS = ("everyday", "people", "shifts", "events", "broadcasts", "progress", "money")
OTHER_GROUP = "other"
# Where the commands of the features that exist today belong; a new feature's CommandSpec
# may name its group itself (`group=`), or it lands in "other" at the end.
_GROUP_OF = {
    "start": "everyday", "help": "everyday", "me": "everyday", "lang": "everyday",
    "tz": "everyday", "cancel": "everyday", "shifts": "everyday", "my": "everyday",
    "tasks": "everyday", "done": "everyday", "events": "everyday", "calendar": "everyday",
    "skills": "everyday", "expense": "everyday", "claims": "everyday", "void": "everyday",
    "invite": "people", "team": "people", "promote": "people", "demote": "people",
    "newshift": "shifts", "newtask": "shifts", "editshift": "shifts", "cancelshift": "shifts",
    "shiftcheckin": "shifts",
    "newevent": "events", "editevent": "events", "cancelevent": "events", "qr": "events",
    "checkin": "events", "roster": "events",
    "broadcast": "broadcasts", "broadcasts": "broadcasts",
    "summary": "progress", "goals": "progress", "goal": "progress", "report": "progress",
    "feedback": "progress",
    "budget": "money", "budgetline": "money", "fund": "money", "ledger": "money",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    # None: everyone may use it.  Description key: "cmd.<name>" in the catalogs.
    permission: Permission | None = None
    menu: bool = True  # False: works but is not shown in Telegram's menu (kept short)
    group: str | None = None  # /help section; None: the one _GROUP_OF names
    # A team lead holds this permission for their own teams only and some of the command
    # is not theirs (/team create): "cmd.<name>_lead" describes what they can do with it.
    lead_description: bool = False

    @property
    def description_key(self) -> str:
        return f"cmd.{self.name}"

    def description_key_for(self, actor: Actor) -> str:
        if self.lead_description and is_team_scoped(actor):
            return f"cmd.{self.name}_lead"
        return self.description_key

    @property
    def help_group(self) -> str:
        return self.group or _GROUP_OF.get(self.name, OTHER_GROUP)


# Everyday commands first (what everyone has, then what volunteers use daily, in the order
# of a volunteer's day), then the coordinator tools in the app's feature order.
_EVERYONE_ORDER = ("start", "help", "me", "lang", "cancel", "tz")
_EVERYDAY = {Permission.VOLUNTEER, Permission.RECORD_EXPENSE}
_VOLUNTEER_ORDER = (
    "shifts", "my", "tasks", "done", "events", "calendar", "skills", "expense", "claims",
)  # fmt: skip


def _help_rank(spec: CommandSpec) -> tuple[int, int]:
    if spec.permission is None:
        return 0, _EVERYONE_ORDER.index(spec.name) if spec.name in _EVERYONE_ORDER else 99
    if spec.permission not in _EVERYDAY:
        return 2, 0
    order = _VOLUNTEER_ORDER.index(spec.name) if spec.name in _VOLUNTEER_ORDER else 99
    return 1, order


@dataclass(frozen=True, slots=True)
class CommandTable:
    """Every command of the bot, in declaration order (a name declared twice: the first)."""

    specs: tuple[CommandSpec, ...] = ()

    @classmethod
    def of(cls, specs: Iterable[CommandSpec]) -> CommandTable:
        seen: dict[str, CommandSpec] = {}
        for spec in specs:
            seen.setdefault(spec.name, spec)
        return cls(tuple(seen.values()))

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self.specs)

    def menu_order(self) -> list[CommandSpec]:
        return sorted(self.specs, key=_help_rank)

    def for_actor(self, actor: Actor) -> list[CommandSpec]:
        """The commands this person may use: everyday ones first, declaration order within."""
        allowed = [c for c in self.specs if c.permission is None or can(actor, c.permission)]
        return sorted(allowed, key=_help_rank)

    def help_sections(self, actor: Actor) -> list[tuple[str, list[CommandSpec]]]:
        """/help's sections for this person: (group, commands), empty groups left out."""
        order = {group: index for index, group in enumerate((*HELP_GROUPS, OTHER_GROUP))}
        sections: dict[str, list[CommandSpec]] = {}
        for spec in self.for_actor(actor):
            group = spec.help_group if spec.help_group in order else OTHER_GROUP
            sections.setdefault(group, []).append(spec)
        return sorted(sections.items(), key=lambda item: order[item[0]])
