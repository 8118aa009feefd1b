"""People, invites, teams and roles against real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput, NotAllowed
from bot.services.people import invites, roles, teams
from bot.services.people.members import Actor, TelegramUser, load_actor
from models import AuditEntry, Invite, Membership, Person, Role
from tests.conftest import T0

ADMINS = frozenset({1})


async def actor(sm: async_sessionmaker[AsyncSession], uid: int, name: str = "") -> Actor:
    return await load_actor(
        sm, TelegramUser(uid, name or f"U{uid}", username=f"u{uid}"),
        admin_ids=ADMINS, default_language="id", now=T0,
    )


async def redeem(sm: async_sessionmaker[AsyncSession], uid: int, code: str, now=T0):
    return await invites.redeem_invite(
        sm, TelegramUser(uid, f"U{uid}", language_code="en"), code,
        admin_ids=ADMINS, default_language="id", now=now,
    )


async def test_first_contact_registers_and_admin_comes_from_config(sessionmaker) -> None:
    admin = await actor(sessionmaker, 1, "Ani")
    vol = await actor(sessionmaker, 2, "Budi")
    again = await actor(sessionmaker, 2, "Budi S")
    assert admin.role == Role.ADMIN and admin.created
    assert vol.role == Role.VOLUNTEER and not again.created
    assert again.display_name == "Budi S" and not again.language_chosen
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Person)) == 2


async def test_invite_joins_team_with_role_and_counts_uses(sessionmaker) -> None:
    admin = await actor(sessionmaker, 1)
    team = await teams.create_team(sessionmaker, admin, "Jakarta  Selatan")
    inv = await invites.create_invite(
        sessionmaker, admin, team_id=team.id, role=Role.LEAD, days=7, max_uses=2, now=T0
    )
    first = await redeem(sessionmaker, 10, inv.code)
    assert first.ok and first.team_name == "Jakarta Selatan" and first.actor.role == Role.LEAD
    assert first.actor.lead_team_ids == {team.id}
    assert (await redeem(sessionmaker, 11, inv.code)).ok
    third = await redeem(sessionmaker, 12, inv.code)
    assert (third.ok, third.reason, third.actor.teams) == (False, "used_up", ())


async def test_expired_and_unknown_invites_still_register(sessionmaker) -> None:
    admin = await actor(sessionmaker, 1)
    inv = await invites.create_invite(
        sessionmaker, admin, team_id=None, role=Role.VOLUNTEER, days=1, max_uses=5, now=T0
    )
    late = await redeem(sessionmaker, 20, inv.code, now=T0 + timedelta(days=2))
    unknown = await redeem(sessionmaker, 21, "nope")
    assert (late.reason, unknown.reason) == ("expired", "unknown")
    async with sessionmaker() as s:
        ids = set(await s.scalars(select(Person.telegram_id)))
    assert {20, 21} <= ids


async def test_concurrent_redeems_never_exceed_max_uses(sessionmaker) -> None:
    admin = await actor(sessionmaker, 1)
    team = await teams.create_team(sessionmaker, admin, "Tebet")
    inv = await invites.create_invite(
        sessionmaker, admin, team_id=team.id, role=Role.VOLUNTEER, days=7, max_uses=5, now=T0
    )
    results = await asyncio.gather(*(redeem(sessionmaker, 100 + i, inv.code) for i in range(30)))
    assert sum(r.ok for r in results) == 5
    async with sessionmaker() as s:
        assert (await s.scalar(select(Invite.uses))) == 5
        assert await s.scalar(select(func.count()).select_from(Membership)) == 5


async def test_lead_powers_stop_at_their_team(sessionmaker) -> None:
    admin = await actor(sessionmaker, 1)
    own = await teams.create_team(sessionmaker, admin, "Own")
    other = await teams.create_team(sessionmaker, admin, "Other")
    await actor(sessionmaker, 30)
    await teams.add_member(sessionmaker, admin, "Own", "u30", as_lead=True)
    lead = await actor(sessionmaker, 30)
    assert lead.role == Role.LEAD
    await invites.create_invite(
        sessionmaker, lead, team_id=own.id, role=Role.VOLUNTEER, days=3, max_uses=3, now=T0
    )
    with pytest.raises(NotAllowed):
        await invites.create_invite(
            sessionmaker, lead, team_id=other.id, role=Role.VOLUNTEER, days=3, max_uses=3, now=T0
        )
    with pytest.raises(NotAllowed):
        await invites.create_invite(
            sessionmaker, lead, team_id=own.id, role=Role.COORDINATOR, days=3, max_uses=3, now=T0
        )
    listed = await teams.list_teams(sessionmaker, lead)
    assert [t.name for t in listed] == ["Own"]


async def test_roles_respect_who_may_grant_what(sessionmaker) -> None:
    admin = await actor(sessionmaker, 1)
    await actor(sessionmaker, 40)
    await actor(sessionmaker, 41)
    change = await roles.set_role(
        sessionmaker, admin, "@u40", Role.COORDINATOR, admin_ids=ADMINS, now=T0
    )
    assert (change.before, change.after) == (Role.VOLUNTEER, Role.COORDINATOR)
    coord = await actor(sessionmaker, 40)
    with pytest.raises(NotAllowed):
        await roles.set_role(sessionmaker, coord, "u41", Role.COORDINATOR, admin_ids=ADMINS, now=T0)
    with pytest.raises(InvalidInput):
        await roles.set_role(sessionmaker, coord, "u41", Role.LEAD, admin_ids=ADMINS, now=T0)
    with pytest.raises(InvalidInput):
        await roles.set_role(sessionmaker, admin, "1", Role.VOLUNTEER, admin_ids=ADMINS, now=T0)
    async with sessionmaker() as s:
        actions = list(await s.scalars(select(AuditEntry.action)))
    assert "role.set" in actions
