"""Team group chats end to end, continued: "places left" posts, a cancelled or moved shift's
post, a repeated shift's series post, the morning digest, and a group that becomes a
supergroup (both ways: Telegram's service message, and a send that bounces off the old id).
The real bot on the sandbox; the group reads in the campaign's language (Indonesian)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.services.reach import group_digest, group_news
from handlers.reach.groups import refresh_posts
from models import GroupPost, OutboxMessage, OutboxStatus, ShiftSignup, TeamGroup
from tests.conftest import T0
from tests.reach.test_groups_e2e import GROUP, LEAD, MEMBERS, seed
from tests.support.harness import BotHarness, deliver, start_harness

NEW_GROUP = -1002000000001500  # the supergroup's id
CLAIM = "✋ Ambil"


async def linked(bot: BotHarness, chat_id: int = GROUP) -> None:
    await seed(bot)
    await bot.client.create_group(chat_id, "Relawan Jaksel")
    await bot.user(LEAD).send_and_wait(f"/linkteam@{bot.app.bot.username} Jaksel",
                                       chat_id=chat_id)


async def plan(bot: BotHarness) -> int:
    """What the 'places left' job does each minute."""
    settings = bot.app.bot_data.settings
    assert settings is not None
    return await group_news.plan_places_left(bot.db, settings, now=bot.clock.now())


def now_shows(bot: BotHarness, chat_id: int, message: Any) -> Any:
    return next(m for m in bot.client.messages(chat_id) if m.message_id == message.message_id)


def bot_posts(bot: BotHarness, chat_id: int) -> list[Any]:
    return [m for m in bot.client.messages(chat_id) if m.from_bot]


async def test_the_last_places_are_posted_once_and_that_post_follows_the_fill(
    tmp_path: Path,
) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'left.sqlite3'}",
                             clock=FrozenClock(T0)) as bot:
        await bot.client.set_limits(enabled=True)  # 20 a minute per group, edits count
        await linked(bot)
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking | besok 08:00 | 3j | 3 | Pasar Tebet")
        await deliver(bot)
        post = bot.client.last_bot_message(GROUP)
        assert post is not None and "Shift baru" in post.text
        # Nobody on it: three free places are the new post's news, not "places left".
        assert await plan(bot) == 0
        await bot.user(11).press(post, CLAIM, expect="answer")
        assert await plan(bot) == 1
        assert await plan(bot) == 0  # once per shift and group
        await deliver(bot)
        left = bot.client.last_bot_message(GROUP)
        assert left is not None and left.message_id != post.message_id
        assert left.text == "⏳ Sisa 2 tempat untuk Door-knocking besok 08.00, Pasar Tebet"
        assert left.button_texts == [CLAIM]

        # Claimed from the "places left" post; 2 → 1 posts nothing more, the post says so.
        budi = await bot.user(12).press(left, CLAIM, expect="answer")
        assert budi.answer.text == "✅ It's yours! Details are in our private chat."
        assert await plan(bot) == 0
        await refresh_posts(bot.app, wait=True)
        assert now_shows(bot, GROUP, left).text.startswith("⏳ Sisa 1 tempat untuk")
        await bot.user(14).press(left, CLAIM, expect="answer")
        await refresh_posts(bot.app, wait=True)
        full = now_shows(bot, GROUP, left)
        assert "sudah penuh" in full.text and full.button_texts == []
        assert "Penuh (3 dari 3)" in now_shows(bot, GROUP, post).text
        async with bot.db() as session:
            assert len((await session.scalars(select(ShiftSignup.id))).all()) == 3
        assert len(bot_posts(bot, GROUP)) == 3  # hello, the shift, its last places
        for message in bot.client.messages(GROUP):
            assert all(name not in message.text for name in MEMBERS.values())
        assert bot.client.stats().answered_429 == 0


async def test_places_left_wait_for_the_morning_and_are_skipped_once_the_shift_filled(
    tmp_path: Path,
) -> None:
    evening = T0 + timedelta(hours=12)  # 22:00 WIB: quiet hours
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'quiet.sqlite3'}",
                             clock=FrozenClock(evening)) as bot:
        await linked(bot)
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Flyering | besok 10:00 | 2j | 3 | Blok M")
        await deliver(bot)  # the coordinator's own post goes at once, even at night
        post = bot.client.last_bot_message(GROUP)
        assert post is not None and "Flyering" in post.text
        await bot.user(11).press(post, CLAIM, expect="answer")
        assert await plan(bot) == 1
        await deliver(bot)
        # Held for the night: no new post (the shift's own post may show the claim already,
        # edited by the post refresh that runs beside the claim).
        assert [m.message_id for m in bot_posts(bot, GROUP)][-1] == post.message_id
        async with bot.db() as session:
            row = await session.scalar(select(OutboxMessage).where(
                OutboxMessage.kind == "group.places_left"))
            assert row is not None and row.status == OutboxStatus.PENDING
            assert row.due_at == T0 + timedelta(hours=21)  # 07:00 WIB
        await bot.user(12).press(post, CLAIM, expect="answer")
        await bot.user(14).press(post, CLAIM, expect="answer")
        bot.clock.set(T0 + timedelta(hours=21))
        await deliver(bot)
        assert [m.message_id for m in bot_posts(bot, GROUP)][-1] == post.message_id
        async with bot.db() as session:
            row = await session.scalar(select(OutboxMessage).where(
                OutboxMessage.kind == "group.places_left"))
            assert row is not None and row.status == OutboxStatus.SKIPPED


async def test_a_moved_and_a_cancelled_shift_show_in_their_posts(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'move.sqlite3'}",
                             clock=FrozenClock(T0)) as bot:
        await linked(bot)
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking | besok 08:00 | 3j | 3 | Pasar Tebet")
        await deliver(bot)
        post = bot.client.last_bot_message(GROUP)
        assert post is not None and "08.00" in post.text
        await bot.admin.send_and_wait("/editshift 1 time tomorrow 13:00")
        await refresh_posts(bot.app, wait=True)
        moved = now_shows(bot, GROUP, post)
        assert "13.00" in moved.text and "08.00" not in moved.text
        assert moved.button_texts == [CLAIM]
        asked = await bot.admin.send_and_wait("/cancelshift 1")
        await bot.admin.press(asked, "Yes, cancel it", expect="edit")
        await refresh_posts(bot.app, wait=True)
        cancelled = now_shows(bot, GROUP, post)
        assert "Dibatalkan" in cancelled.text and cancelled.button_texts == []


async def test_a_repeated_shift_is_one_series_post_with_a_claim_per_day(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'series.sqlite3'}",
                             clock=FrozenClock(T0)) as bot:
        await linked(bot)
        created = await bot.admin.send_and_wait(
            "/newshift Jaksel | Posko pagi | besok 08:00 | 3j | 2 | Pasar Tebet")
        await bot.admin.press(created, 1, expect="message")  # each of the next 6 days
        await deliver(bot)
        posts = bot_posts(bot, GROUP)
        assert len(posts) == 3  # hello, the shift, one series post (not six)
        series = posts[-1]
        assert "Posko pagi" in series.text and "6 hari lagi" in series.text
        assert series.text.count("0 dari 2 terisi") == 6
        assert len(series.button_texts) == 6 and series.button_texts[0] == "✋ Sab, 28 Nov"
        ani = await bot.user(11).press(series, "✋ Sab, 28 Nov", expect="answer")
        assert ani.answer.text == "✅ It's yours! Details are in our private chat."
        await refresh_posts(bot.app, wait=True)
        shown = now_shows(bot, GROUP, series)
        assert shown.text.count("1 dari 2 terisi") == 1
        assert shown.text.count("0 dari 2 terisi") == 5
        asked = await bot.admin.send_and_wait("/cancelshift 3")  # Sunday's copy
        await bot.admin.press(asked, "Yes, cancel it", expect="edit")
        await refresh_posts(bot.app, wait=True)
        shown = now_shows(bot, GROUP, series)
        assert "Min, 29 Nov 08.00–11.00: ❌ dibatalkan" in shown.text
        assert "✋ Min, 29 Nov" not in shown.button_texts
        assert len(shown.button_texts) == 5


async def test_the_morning_digest_when_the_team_wants_it(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'digest.sqlite3'}",
                             clock=FrozenClock(T0)) as bot:
        await linked(bot)
        username = bot.app.bot.username
        refused = await bot.user(11).send_and_wait(f"/groupdigest@{username} on",
                                                   chat_id=GROUP)
        assert "your role doesn't allow that" in refused.text
        usage = await bot.user(LEAD).send_and_wait(f"/groupdigest@{username} maybe",
                                                   chat_id=GROUP)
        assert "/groupdigest on" in usage.text
        on = await bot.user(LEAD).send_and_wait(f"/groupdigest@{username} on", chat_id=GROUP)
        assert "Setiap pagi pukul 07:00" in on.text
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Posko siang | hari ini 14:00 | 3j | 3 | Pasar Tebet")
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking | besok 08:00 | 3j | 2 | Tebet")
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Next week | 2026-12-03 08:00 | 3j | 2 | Tebet")
        await deliver(bot)
        post = bot.client.last_bot_message(GROUP)
        assert post is not None
        await bot.user(11).press(bot_posts(bot, GROUP)[-3], CLAIM, expect="answer")
        now, tz = bot.clock.now(), "Asia/Jakarta"
        assert await group_digest.enqueue_group_digests(bot.db, now=now, tz=tz) == 1
        assert await group_digest.enqueue_group_digests(bot.db, now=now, tz=tz) == 0
        await deliver(bot)
        digest = bot.client.last_bot_message(GROUP)
        assert digest is not None and "Hari ini dan besok untuk Jaksel" in digest.text
        assert "Posko siang" in digest.text and "1 dari 3 terisi: sisa 2 tempat" in digest.text
        assert "Door-knocking" in digest.text and "Next week" not in digest.text
        assert "Masih ada 4 tempat kosong" in digest.text
        assert all(name not in digest.text for name in MEMBERS.values())
        off = await bot.user(LEAD).send_and_wait(f"/groupdigest@{username} off", chat_id=GROUP)
        assert "dimatikan" in off.text
        tomorrow = now + timedelta(days=1)
        assert await group_digest.enqueue_group_digests(bot.db, now=tomorrow, tz=tz) == 0


async def test_a_group_that_becomes_a_supergroup_keeps_its_link_and_posts(
    tmp_path: Path,
) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'migrate.sqlite3'}",
                             clock=FrozenClock(T0)) as bot:
        await linked(bot)
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking | besok 08:00 | 3j | 3 | Pasar Tebet")
        await deliver(bot)
        old_post = bot.client.last_bot_message(GROUP)
        assert old_post is not None
        # A second shift's post still waits in the outbox when the group is upgraded: the
        # outbox's own loop, which would send it at once, is stopped (deliver() sends it).
        dispatcher = bot.app.bot_data.dispatcher
        assert dispatcher is not None
        await dispatcher.stop()
        await bot.admin.send_and_wait("/newshift Jaksel | Flyering | besok 13:00 | 2j | 3 | Blok M")
        await bot.client.migrate_group(GROUP, NEW_GROUP, by=bot.user(LEAD).spec)
        await bot.user(LEAD).send_and_wait("/help")  # the lead's updates run in order
        async with bot.db() as session:
            assert await session.scalar(select(TeamGroup.chat_id)) == NEW_GROUP
            queued = await session.scalar(select(OutboxMessage.chat_id).where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.kind == "group.shift_post"))
            assert queued == NEW_GROUP
        await deliver(bot)
        posts = bot_posts(bot, NEW_GROUP)
        assert sorted("Door-knocking" in p.text for p in posts) == [False, True]
        assert any("Flyering" in p.text for p in posts)
        again = next(p for p in posts if "Door-knocking" in p.text)
        ani = await bot.user(11).press(again, CLAIM, expect="answer")
        assert ani.answer.text == "✅ It's yours! Details are in our private chat."
        await refresh_posts(bot.app, wait=True)
        assert "1 dari 3 terisi" in now_shows(bot, NEW_GROUP, again).text
        # Nothing went to the old chat after the upgrade.
        assert bot_posts(bot, GROUP)[-1].message_id == old_post.message_id


async def test_a_send_that_bounces_off_the_old_id_follows_the_group(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'bounce.sqlite3'}",
                             clock=FrozenClock(T0)) as bot:
        await linked(bot)
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking | besok 08:00 | 3j | 3 | Pasar Tebet")
        await deliver(bot)
        # Upgraded without the service messages reaching the bot: the next send learns it.
        world = bot.sandbox.world
        world.group_chat(NEW_GROUP, "Relawan Jaksel", "supergroup")
        world.chats[GROUP].migrated_to = NEW_GROUP
        await bot.admin.send_and_wait("/newshift Jaksel | Flyering | besok 13:00 | 2j | 3 | Blok M")
        await deliver(bot)
        posts = bot_posts(bot, NEW_GROUP)
        assert any("Flyering" in p.text for p in posts)
        assert any("Door-knocking" in p.text for p in posts)  # the live post, again
        async with bot.db() as session:
            assert await session.scalar(select(TeamGroup.chat_id)) == NEW_GROUP
            rows = (await session.execute(select(OutboxMessage.chat_id, OutboxMessage.status)
                                          .where(OutboxMessage.kind == "group.shift_post")
                                          )).all()
            assert sorted((c, s.value) for c, s in rows) == [
                (NEW_GROUP, "sent"), (NEW_GROUP, "sent"), (GROUP, "sent")]
            assert set(await session.scalars(select(GroupPost.chat_id))) == {NEW_GROUP}
