"""Team group chats end to end: the real bot on the sandbox, a group linked by its lead,
a new shift posted there, claimed from the group, the post showing its fill level."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.views.groups import GroupClaim
from handlers.reach.groups import refresh_posts
from models import (
    GroupPost,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    ShiftSignup,
    Team,
    TeamGroup,
)
from sandbox import UserSpec
from tests.conftest import T0
from tests.support.harness import BotHarness, deliver, start_harness

GROUP = -1001500
MEMBERS = {11: "Ani", 12: "Budi", 14: "Citra"}
LEAD, VOLUNTEER_ELSEWHERE, STRANGER = 10, 20, 13  # 20: the lead of Jaktim


async def seed(bot: BotHarness) -> None:
    async with bot.db.begin() as session:
        jaksel = Team(name="Jaksel", name_key="jaksel")
        jaktim = Team(name="Jaktim", name_key="jaktim")
        session.add_all([jaksel, jaktim])
        await session.flush()
        people = {LEAD: ("Lina", jaksel, True), VOLUNTEER_ELSEWHERE: ("Wati", jaktim, True)}
        people |= {tid: (name, jaksel, False) for tid, name in MEMBERS.items()}
        for tid, (name, team, lead) in people.items():
            person = Person(telegram_id=tid, first_name=name, language="en", memberships=[],
                            role=Role.LEAD if lead else Role.VOLUNTEER)
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, team_id=team.id, is_lead=lead))
            bot.sandbox.world.private_chat(UserSpec(tid, name))


def member_change(bot: BotHarness, by: int, old: str, new: str) -> None:
    """Telegram's my_chat_member update: someone added or removed the bot."""
    world = bot.sandbox.world
    bot_user = world.bot_user(bot.app.bot.id)
    world.push_update("my_chat_member", {
        "chat": world.chats[GROUP].to_api(),
        "from": bot.user(by).spec.to_api(),
        "date": int(T0.timestamp()),
        "old_chat_member": {"user": bot_user, "status": old},
        "new_chat_member": {"user": bot_user, "status": new},
    })


def latest(bot: BotHarness, message_id: int) -> Any:
    return next(m for m in bot.client.messages(GROUP) if m.message_id == message_id)


async def test_a_lead_links_a_group_members_claim_there_the_post_shows_full(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'groups.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        await seed(bot)
        await bot.client.create_group(GROUP, "Relawan Jaksel")
        username = bot.app.bot.username
        member_change(bot, LEAD, "left", "member")
        hello = await bot.client.wait_for_message(GROUP)
        assert "/linkteam" in hello.text  # says what it can do

        # Privacy mode on: commands addressed to the bot.  A volunteer may not link.
        refused = await bot.user(11).send_and_wait(f"/linkteam@{username} Jaksel",
                                                   chat_id=GROUP)
        assert "your role doesn't allow that" in refused.text
        # A lead of another team may not link this one either.
        other_lead = await bot.user(VOLUNTEER_ELSEWHERE).send_and_wait(
            f"/linkteam@{username} Jaksel", chat_id=GROUP)
        assert "This is for another team" in other_lead.text
        async with bot.db() as session:
            assert await session.scalar(select(TeamGroup.id)) is None
        linked = await bot.user(LEAD).send_and_wait(f"/linkteam@{username} Jaksel",
                                                    chat_id=GROUP)
        assert "terhubung dengan tim Jaksel" in linked.text  # the campaign's language

        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking Tebet | besok 08:00 | 3j | 2 | Pasar Tebet")
        await deliver(bot)
        post = await bot.client.wait_for_message(GROUP, linked.message_id)
        assert "Shift baru untuk Jaksel" in post.text and "Door-knocking Tebet" in post.text
        assert "0 dari 2 terisi: sisa 2 tempat" in post.text
        assert post.button_texts == ["✋ Ambil"]

        # Someone who never started the bot: sent to a private chat, never an error.
        stranger = await bot.user(STRANGER, "Tono").press(post, "✋ Ambil", expect="answer")
        assert stranger.answer.url == f"https://t.me/{username}?start=gc_1"
        assert "private chat" in (stranger.answer.text or "")

        ani = await bot.user(11).press(post, "✋ Ambil", expect="answer")
        assert ani.answer.text == "✅ It's yours! Details are in our private chat."
        await deliver(bot)
        private = bot.user(11).last_bot_message()
        assert private is not None
        assert "You claimed this shift from your team's group" in private.text
        assert private.button_texts == ["↩️ Release my place"]

        # Two people tap the last place at the same moment: exactly one gets it.
        budi, citra = await asyncio.gather(
            bot.user(12).press(post, "✋ Ambil", expect="answer"),
            bot.user(14).press(post, "✋ Ambil", expect="answer"),
        )
        answers = sorted([budi.answer.text or "", citra.answer.text or ""])
        assert answers == ["✅ It's yours! Details are in our private chat.",
                           "😕 Sorry, this shift is full."]
        async with bot.db() as session:
            assert len((await session.scalars(select(ShiftSignup.id))).all()) == 2

        await refresh_posts(bot.app, wait=True)
        full = latest(bot, post.message_id)
        assert "Penuh (2 dari 2)" in full.text and full.button_texts == []
        for message in bot.client.messages(GROUP):  # nothing personal is ever posted there
            assert all(name not in message.text for name in ("Ani", "Budi", "Citra", "Lina")), (
                message.text)
        # Nothing to show: a second refresh edits nothing.
        assert await refresh_posts(bot.app, wait=True) == 0

        # The bot is removed: unlinked, and the next shift is not posted there.
        bot.sandbox.world.chats[GROUP].bot_removed = True
        member_change(bot, LEAD, "member", "left")
        # One person's updates are handled in order: this reply comes after the removal.
        await bot.user(LEAD).send_and_wait("/help")
        async with bot.db() as session:
            assert await session.scalar(select(TeamGroup.id)) is None
            assert await session.scalar(select(GroupPost.id)) is None
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Flyering | besok 13:00 | 2j | 3 | Blok M")
        await deliver(bot)
        async with bot.db() as session:
            posted = await session.scalar(select(OutboxMessage.id).where(
                OutboxMessage.chat_id == GROUP, OutboxMessage.status == OutboxStatus.PENDING))
        assert posted is None


async def test_a_stranger_follows_the_link_and_claims_privately(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stranger.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        await seed(bot)
        await bot.client.create_group(GROUP, "Relawan Jaksel")
        username = bot.app.bot.username
        await bot.user(LEAD).send_and_wait(f"/linkteam@{username} Jaksel", chat_id=GROUP)
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking | besok 08:00 | 3j | 2 | Tebet")
        await deliver(bot)
        post = bot.client.last_bot_message(GROUP)
        assert post is not None
        tapped = await bot.user(STRANGER, "Tono").press(post, "✋ Ambil", expect="answer")
        payload = (tapped.answer.url or "").split("start=")[1]
        # Opening the link: the bot now knows them, but they are not in team Jaksel.
        reply = await bot.user(STRANGER).send_and_wait(f"/start {payload}")
        assert "team" in reply.text.lower()
        async with bot.db() as session:
            assert await session.scalar(select(ShiftSignup.id)) is None
        # A member of another team who forges the group button is refused, not signed up.
        forged = await bot.user(VOLUNTEER_ELSEWHERE).press(post, data=GroupClaim(1).pack(),
                                                            expect="answer")
        assert forged.answer.show_alert
        async with bot.db() as session:
            assert await session.scalar(select(ShiftSignup.id)) is None


async def test_a_group_post_removed_mid_post_unlinks_on_the_403(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'removed.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        await seed(bot)
        await bot.client.create_group(GROUP, "Relawan Jaksel")
        username = bot.app.bot.username
        await bot.user(LEAD).send_and_wait(f"/linkteam@{username} Jaksel", chat_id=GROUP)
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking | besok 08:00 | 3j | 2 | Tebet")
        await deliver(bot)
        post = bot.client.last_bot_message(GROUP)
        assert post is not None
        # Removed without Telegram's notice reaching us: the post's next edit answers 403.
        bot.sandbox.world.chats[GROUP].bot_removed = True
        claimed = await bot.user(11).press(post, "✋ Ambil", expect="answer")
        assert claimed.answer.text == "✅ It's yours! Details are in our private chat."
        await refresh_posts(bot.app, wait=True)
        async with bot.db() as session:
            assert await session.scalar(select(TeamGroup.id)) is None
