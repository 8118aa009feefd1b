"""Invite links from the People page: the chat's /invite use case, its defaults and rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.services.people.invites import DEFAULT_INVITE_DAYS, DEFAULT_INVITE_USES, INVITE_PREFIX
from bot.views.i18n import I18n
from bot.views.render import to_plain
from models import Invite, Membership, Person, Role
from tests.support.harness import T0, start_harness
from tests.web.support import COORDINATOR, LEAD, VOLUNTEER, seed_campaign, web_client

I18N = I18n("en")
BOT = "gotong_sandbox_bot"  # the sandbox's bot


async def test_a_coordinator_makes_a_link_that_joins_the_team(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            people = await web.call("GET", "/api/people", user=COORDINATOR)
            offered = [r["role"] for r in people.body["invite"]["roles"]]
            assert offered == ["volunteer", "lead", "partner", "media"]  # as /invite offers
            assert people.body["invite"]["no_team"] is True
            made = await web.call("POST", "/api/people/invites", user=COORDINATOR,
                                  body={"team_id": teams["jaksel"], "role": "volunteer"})
            assert made.status == 200, made.body
            payload = made.body["payload"]
            assert payload.startswith(INVITE_PREFIX)
            assert made.body["link"] == f"https://t.me/{BOT}?start={payload}"
            assert made.body["team"] == "Jaksel" and made.body["uses"] == DEFAULT_INVITE_USES
            assert made.body["link"] in made.body["text"] and "<" not in made.body["text"]
        async with bot.db() as session:
            invite = await session.scalar(select(Invite))
            assert invite is not None
            assert INVITE_PREFIX + invite.code == payload
            assert (invite.team_id, invite.role, invite.max_uses, invite.uses) == (
                teams["jaksel"], Role.VOLUNTEER, DEFAULT_INVITE_USES, 0)
            assert invite.expires_at == T0 + timedelta(days=DEFAULT_INVITE_DAYS)
            creator = await session.get(Person, invite.created_by_id)
            assert creator is not None and creator.telegram_id == COORDINATOR
        # The link works in the chat: a newcomer opening it joins Jaksel.
        newcomer = bot.user(77, "Sari", "id")
        welcome = await newcomer.send_and_wait(f"/start {payload}")
        assert "Jaksel" in welcome.text
        async with bot.db() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == 77))
            assert person is not None
            team_ids = list(await session.scalars(
                select(Membership.team_id).where(Membership.person_id == person.id)))
            assert team_ids == [teams["jaksel"]]
            used = await session.scalar(select(Invite.uses))
            assert used == 1


async def test_a_lead_invites_to_their_own_teams_only(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            people = await web.call("GET", "/api/people", user=LEAD)
            assert [r["role"] for r in people.body["invite"]["roles"]] == ["volunteer"]
            assert people.body["invite"]["no_team"] is False
            own = await web.call("POST", "/api/people/invites", user=LEAD,
                                 body={"team_id": teams["jaksel"]})
            assert own.status == 200 and own.body["role"] == "volunteer"
            other = await web.call("POST", "/api/people/invites", user=LEAD,
                                   body={"team_id": teams["bogor"]})
            assert other.status == 403 and other.body["error"] == "error.other_team"
            assert other.message == to_plain(I18N.t("en", "error.other_team"))
            no_team = await web.call("POST", "/api/people/invites", user=LEAD, body={})
            assert no_team.status == 403
            higher = await web.call("POST", "/api/people/invites", user=LEAD,
                                    body={"team_id": teams["jaksel"], "role": "coordinator"})
            assert higher.status == 403
            volunteer = await web.call("POST", "/api/people/invites", user=VOLUNTEER,
                                       body={"team_id": teams["jaksel"]})
            assert volunteer.status == 403 and volunteer.body["error"] == "error.not_allowed"
            junk = await web.call("POST", "/api/people/invites", user=COORDINATOR,
                                  body={"team_id": teams["jaksel"], "role": "<b>boss</b>"})
            assert junk.status == 422
            wrong_team = await web.call("POST", "/api/people/invites", user=COORDINATOR,
                                        body={"team_id": "Jaksel"})
            assert wrong_team.status == 422
        async with bot.db() as session:
            rows = (await session.execute(select(Invite.team_id, Invite.role))).all()
            assert [tuple(r) for r in rows] == [(teams["jaksel"], Role.VOLUNTEER)]
