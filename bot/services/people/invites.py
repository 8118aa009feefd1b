"""Invites: a deep link that joins a team with a role, with expiry and a use limit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput, NotAllowed
from bot.services import audit
from bot.services.authz import GRANTABLE, Permission, can_grant, require
from bot.services.people.members import Actor, TelegramUser, actor_from, upsert_person
from bot.services.people.teams import join_team
from models import Invite, Role, Team

MAX_INVITE_DAYS = 90
MAX_INVITE_USES = 10_000
# Deep-link payloads allow A-Z a-z 0-9 _ - ; a prefix keeps them apart from checkin_ links.
INVITE_PREFIX = "inv_"
# What an invite gets when its maker says nothing (the chat's two taps, the Mini App).
DEFAULT_INVITE_DAYS = 14
DEFAULT_INVITE_USES = 100
# Most invites are for volunteers, so that choice comes first.
INVITE_ROLE_ORDER = (Role.VOLUNTEER, Role.LEAD, Role.COORDINATOR, Role.PARTNER, Role.MEDIA)


def invite_roles(actor: Actor) -> list[Role]:
    """The roles this person may invite to (volunteer first), in the chat and the app alike."""
    grantable = GRANTABLE.get(actor.role, frozenset())
    return [r for r in INVITE_ROLE_ORDER if r in grantable or r == Role.VOLUNTEER]


@dataclass(frozen=True, slots=True)
class InviteView:
    code: str
    team_name: str | None
    role: Role
    expires_at: datetime
    max_uses: int

    @property
    def payload(self) -> str:
        return INVITE_PREFIX + self.code


@dataclass(frozen=True, slots=True)
class RedeemResult:
    actor: Actor
    ok: bool
    reason: str | None  # None when ok; else "unknown" | "expired" | "used_up"
    team_name: str | None
    role: Role | None


async def create_invite(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    team_id: int | None,
    role: Role,
    days: int,
    max_uses: int,
    now: datetime,
) -> InviteView:
    require(actor, Permission.INVITE, team_id)
    if not can_grant(actor, role) and role != Role.VOLUNTEER:
        raise NotAllowed(permission=f"invite_{role.value}")
    if actor.role == Role.LEAD and team_id is None:
        raise NotAllowed(permission="invite_without_team")
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise InvalidInput("invite.bad_days", max=MAX_INVITE_DAYS)
    if not 1 <= max_uses <= MAX_INVITE_USES:
        raise InvalidInput("invite.bad_uses", max=MAX_INVITE_USES)
    async with sessionmaker.begin() as session:
        team = await session.get(Team, team_id) if team_id is not None else None
        if team_id is not None and team is None:
            raise InvalidInput("team.not_found", name=str(team_id))
        invite = Invite(
            code=secrets.token_urlsafe(9),
            team_id=team_id,
            role=role,
            created_by_id=actor.person_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
            max_uses=max_uses,
        )
        session.add(invite)
        await session.flush()
        audit.record(
            session,
            action="invite.create",
            actor_id=actor.person_id,
            target_type="invite",
            target_id=invite.id,
            role=role.value,
            team_id=team_id,
        )
        return InviteView(
            invite.code, team.name if team else None, role, invite.expires_at, max_uses
        )


async def redeem_invite(
    sessionmaker: async_sessionmaker[AsyncSession],
    user: TelegramUser,
    code: str,
    *,
    admin_ids: frozenset[int],
    default_language: str,
    now: datetime,
) -> RedeemResult:
    """Registers the person in any case, and joins the invite's team when it is valid."""
    async with sessionmaker.begin() as session:
        person, created = await upsert_person(session, user, admin_ids=admin_ids, now=now)
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        reason: str | None = None
        if invite is None or invite.revoked_at is not None:
            reason = "unknown"
        elif invite.expires_at <= now:
            reason = "expired"
        else:
            # Conditional increment: concurrent joins can never exceed max_uses.
            taken = await session.execute(
                update(Invite)
                .where(Invite.id == invite.id, Invite.uses < Invite.max_uses)
                .values(uses=Invite.uses + 1)
            )
            if taken.rowcount == 0:  # type: ignore[attr-defined]
                reason = "used_up"
        if reason is None and invite is not None:
            if invite.team is not None:
                await join_team(session, person, invite.team, as_lead=invite.role == Role.LEAD)
            if invite_applies(invite.role, person.role):
                person.role = invite.role
            audit.record(
                session,
                action="invite.redeem",
                actor_id=person.id,
                target_type="invite",
                target_id=invite.id,
            )
        await session.flush()
        await session.refresh(person, ["memberships"])
        return RedeemResult(
            actor=actor_from(person, default_language, created=created),
            ok=reason is None,
            reason=reason,
            team_name=invite.team.name if reason is None and invite and invite.team else None,
            role=invite.role if reason is None and invite else None,
        )


# An invite never lowers someone: it applies when its role has at least their power.
# Volunteer, partner and media are peers, so a newcomer (volunteer) becomes media
# through a press invite, while a coordinator opening a volunteer link stays one.
_POWER = {Role.ADMIN: 3, Role.COORDINATOR: 2, Role.LEAD: 1}


def invite_applies(invite_role: Role, current: Role) -> bool:
    return _POWER.get(invite_role, 0) >= _POWER.get(current, 0)
