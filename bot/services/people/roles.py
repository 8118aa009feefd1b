"""Promote and demote: change a person's role within what the actor may grant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import ROLE_CHANGED
from bot.delivery.outbox import enqueue
from bot.errors import InvalidInput, NotAllowed
from bot.services import audit
from bot.services.authz import Permission, can_grant, require
from bot.services.people.members import Actor, find_person
from bot.services.people.teams import find_team, join_team
from models import Membership, Role


@dataclass(frozen=True, slots=True)
class RoleChange:
    person_id: int
    telegram_id: int
    display_name: str
    before: Role
    after: Role
    team_name: str | None
    told: bool  # a private message tells them their new role (through the outbox)


async def set_role(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    person_ref: str,
    role: Role,
    *,
    team_ref: str | None = None,
    admin_ids: frozenset[int],
    now: datetime,
) -> RoleChange:
    """Gives `role` to a person; a lead needs a team, which they then lead.  The person is
    told privately what their role now is and lets them do (unless nothing changed)."""
    require(actor, Permission.MANAGE_ROLES)
    if not can_grant(actor, role):
        raise NotAllowed(permission=f"grant_{role.value}")
    if role == Role.LEAD and not team_ref:
        raise InvalidInput("roles.lead_needs_team")
    async with sessionmaker.begin() as session:
        person = await find_person(session, person_ref)
        if person.telegram_id in admin_ids:
            raise InvalidInput("roles.admin_from_config")
        # Nobody changes someone at or above their own level (a coordinator another one).
        if not can_grant(actor, person.role) and person.role != Role.VOLUNTEER:
            raise NotAllowed(permission=f"change_{person.role.value}")
        before = person.role
        team_name = None
        if role == Role.LEAD and team_ref:
            team = await find_team(session, team_ref)
            await join_team(session, person, team, as_lead=True)
            team_name = team.name
        elif before == Role.LEAD:
            # Leaving the lead role ends every team lead flag, keeping the memberships.
            await session.execute(
                update(Membership).where(Membership.person_id == person.id).values(is_lead=False)
            )
        person.role = role
        audit.record(
            session,
            action="role.set",
            actor_id=actor.person_id,
            target_type="person",
            target_id=person.id,
            before=before.value,
            after=role.value,
            team=team_name,
        )
        told = before != role or team_name is not None
        if told:
            await enqueue(
                session,
                [
                    ROLE_CHANGED.message(
                        chat_id=person.telegram_id,
                        person_id=person.id,
                        due_at=now,
                        params={
                            "before": before.value,
                            "after": role.value,
                            "team": team_name,
                            "by": actor.display_name,
                        },
                        after=role.value,
                        stamp=now,
                    )
                ],
            )
        return RoleChange(
            person.id, person.telegram_id, person.display_name, before, role, team_name, told
        )
