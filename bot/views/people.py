"""How people read about themselves and choose: /me, reliability, and the buttons for
language, timezone, skills and invites (typed callback data, one kind per button); and
what coordinators read about people: invites, teams, role changes.

`ProfileSection` pairs a service loader (plain data about one person) with the view
that turns it into lines; a feature declares its sections as such pairs, the /me
handler loads them all in one service call (`load_profile`) and `profile_lines`
renders the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.kinds import ROLE_CHANGED
from bot.delivery.renderers import Renderer, param
from bot.languages import LANGUAGES
from bot.services.people.invites import InviteView
from bot.services.people.profile import Profile, SectionLoader
from bot.services.people.reliability import Reliability
from bot.services.people.roles import RoleChange
from bot.services.people.skills import SkillView
from bot.services.people.teams import MemberLine, TeamSummary
from bot.views.callbacks import CallbackData, callback
from bot.views.i18n import Html, escape
from bot.views.render import Button, Outgoing, Reader
from models import OutboxMessage, Person, Role

T = TypeVar("T")

LANGUAGE_NAMES = {"id": "🇮🇩 Bahasa Indonesia", "en": "🇬🇧 English"}
# The three Indonesian zones first; any IANA name can be typed: /tz Europe/Berlin.
ZONES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}
CAMPAIGN_ZONE = "campaign"  # back to the campaign's timezone
NO_TEAM = 0  # an invite to no team
NAME_LABEL_LIMIT = 40


# ---- buttons ----------------------------------------------------------------------------------
@callback("lng")
@dataclass(frozen=True, slots=True)
class ChooseLanguage(CallbackData):
    language: str

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(self.language)


@callback("tzs")
@dataclass(frozen=True, slots=True)
class ChooseZone(CallbackData):
    """A WIB/WITA/WIT button, or back to the campaign's zone."""

    code: str

    def __post_init__(self) -> None:
        if self.code not in ZONES and self.code != CAMPAIGN_ZONE:
            raise ValueError(self.code)

    @property
    def zone(self) -> str | None:
        return ZONES.get(self.code)


@callback("skt")
@dataclass(frozen=True, slots=True)
class ToggleSkill(CallbackData):
    skill_id: int


@callback("ivt")
@dataclass(frozen=True, slots=True)
class InviteTeam(CallbackData):
    """/invite's first tap: the team (`NO_TEAM` for none)."""

    team_id: int


@callback("ivr")
@dataclass(frozen=True, slots=True)
class InviteRole(CallbackData):
    """/invite's second tap: the role, for the team picked first."""

    team_id: int
    role: Role


def language_keyboard(current: str) -> list[list[Button]]:
    return [
        [
            Button(
                ("✅ " if lang == current else "") + LANGUAGE_NAMES[lang],
                ChooseLanguage(lang).pack(),
            )
            for lang in LANGUAGES
        ]
    ]


def zone_keyboard(reader: Reader, current: str | None) -> list[list[Button]]:
    """WIB / WITA / WIT (ticked when it is mine), and the campaign's when I chose my own."""
    rows = [
        [
            Button(("✅ " if zone == current else "") + code.upper(), ChooseZone(code).pack())
            for code, zone in ZONES.items()
        ]
    ]
    if current is not None:
        rows.append([Button(reader.t("tz.btn_campaign"), ChooseZone(CAMPAIGN_ZONE).pack())])
    return rows


def _rows(buttons: list[Button], per_row: int) -> list[list[Button]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def skills_keyboard(skill_list: list[SkillView]) -> list[list[Button]]:
    buttons = [
        Button(
            ("✅ " if s.mine else "▫️ ") + s.name[:NAME_LABEL_LIMIT], ToggleSkill(s.id).pack()
        )
        for s in skill_list
    ]
    return _rows(buttons, 2)


def invite_team_keyboard(
    reader: Reader, team_list: list[TeamSummary], *, no_team: bool
) -> list[list[Button]]:
    buttons = [Button(t.name[:NAME_LABEL_LIMIT], InviteTeam(t.id).pack()) for t in team_list]
    if no_team:
        buttons.append(Button(reader.t("invite.no_team"), InviteTeam(NO_TEAM).pack()))
    return _rows(buttons, 2)


def invite_role_keyboard(reader: Reader, team_id: int, roles: list[Role]) -> list[list[Button]]:
    buttons = [Button(reader.t(f"role.{r}"), InviteRole(team_id, r).pack()) for r in roles]
    return _rows(buttons, 3)


@dataclass(frozen=True, slots=True)
class ProfileSection(Generic[T]):
    """One /me section: `load` (services) reads the data, `render` (views) writes the lines."""

    load: SectionLoader
    render: Callable[[Reader, T], list[str]]


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
    return lines


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


# ---- invites, teams, roles --------------------------------------------------------------------
def invite_text(reader: Reader, invite: InviteView, link: str) -> str:
    return reader.t(
        "invite.created",
        link=link,
        team=invite.team_name or reader.t("invite.no_team"),
        role=reader.t(f"role.{invite.role}"),
        expires=reader.when(invite.expires_at),
        uses=invite.max_uses,
    )


def team_list_lines(reader: Reader, summaries: list[TeamSummary]) -> list[str]:
    if not summaries:
        return [reader.t("team.none")]
    lines = [reader.t("team.list_title")]
    for s in summaries:
        leads = ", ".join(s.leads) or "—"
        lines.append(reader.t("team.list_line", name=s.name, members=s.members, leads=leads))
    lines.append(reader.t("team.list_hint"))
    return lines


def team_members_lines(reader: Reader, team_name: str, members: list[MemberLine]) -> list[str]:
    """A team's members, leads starred, each with the @username (else the Telegram id)
    that /promote and /team add take, and their role."""
    lines = [reader.t("team.members_title", team=team_name, count=len(members))]
    for m in members:
        lines.append(
            reader.t(
                "team.member_line",
                name=m.display_name + (" ★" if m.is_lead else ""),
                ref=f"@{m.username}" if m.username else str(m.telegram_id),
                role=reader.t(f"role.{m.role}"),
            )
        )
    return lines


def role_changed_text(reader: Reader, change: RoleChange) -> str:
    return reader.t(
        "roles.changed_told" if change.told else "roles.changed",
        name=change.display_name,
        before=reader.t(f"role.{change.before}"),
        after=reader.t(f"role.{change.after}"),
    )


async def render_role_changed(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    """"Your role is now lead of Jaksel", and what it lets them do; skipped when the role
    changed again before this went out (that change sends its own)."""
    after = str(param(row, "after", ""))
    if person is None or person.role.value != after:
        return None
    team, by = param(row, "team"), str(param(row, "by", "—"))
    if after == Role.LEAD and team:
        head = reader.t("roles.told_team", team=str(team), by=by)
    else:
        before = str(param(row, "before", ""))
        head = reader.t(
            "roles.told",
            role=reader.t(f"role.{after}"),
            before=reader.t(f"role.{before}") if before in set(Role) else "—",
            by=by,
        )
    return Outgoing(head + "\n\n" + reader.t(f"roles.can_{after}"))


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    ROLE_CHANGED.name: render_role_changed,
}
