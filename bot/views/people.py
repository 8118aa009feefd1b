"""How people read about themselves: /me (its header and declared sections), reliability.

`ProfileSection` pairs a service loader (plain data about one person) with the view
that turns it into lines; a feature declares its sections as such pairs, the /me
handler loads them all in one service call (`load_profile`) and `profile_lines`
renders the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.services.people.profile import LegacySection, Profile, SectionLoader
from bot.services.people.reliability import Reliability
from bot.views.i18n import Html, escape
from bot.views.render import Reader

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProfileSection(Generic[T]):
    """One /me section: `load` (services) reads the data, `render` (views) writes the lines."""

    load: SectionLoader
    render: Callable[[Reader, T], list[str]]


def split_sections(
    sections: Sequence[ProfileSection[Any] | LegacySection],
) -> tuple[list[ProfileSection[Any]], list[LegacySection]]:
    """Declared pairs, and the older self-rendering sections (until they are pairs too)."""
    pairs = [s for s in sections if isinstance(s, ProfileSection)]
    older = [s for s in sections if not isinstance(s, ProfileSection)]
    return pairs, older


def profile_lines(
    reader: Reader, profile: Profile, sections: Sequence[ProfileSection[Any]] = ()
) -> list[str]:
    """/me: name, role, teams (★ where they lead), language, then each section's lines."""
    actor = profile.actor
    teams = ", ".join(
        escape(t.name) + (" ★" if t.is_lead else "") for t in actor.teams
    ) or reader.t("me.no_team")
    lines = [
        reader.t("me.title"),
        reader.t("me.name", name=actor.display_name),
        reader.t("me.role", role=reader.t(f"role.{actor.role}")),
        reader.t("me.teams", teams=Html(teams)),
        reader.t("me.language", language=reader.t(f"lang.name_{actor.language}")),
    ]
    for section, data in zip(sections, profile.sections, strict=True):
        lines += section.render(reader, data)
    return lines + list(profile.legacy_lines)


def reliability_line(reader: Reader, rel: Reliability) -> str | None:
    """The /me line (None before any shift or event was judged)."""
    if rel.score is None:
        return None
    return reader.t(
        "progress.me_reliability",
        percent=reader.percent(rel.score),
        attended=reader.number(rel.attended),
        total=reader.number(rel.total),
        no_shows=reader.number(rel.no_shows),
    )
