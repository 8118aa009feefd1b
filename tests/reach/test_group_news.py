"""The group's "places left", series and digest posts as read in English and Indonesian, and
a moved or cancelled event's post going stale, at the service level (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import GROUP_DIGEST, GROUP_EVENT_POST
from bot.services.events.events import EventDraft, Timing, cancel_event, create_event, edit_event
from bot.services.reach import group_digest, groups, posts
from bot.services.reach.group_digest import DigestItem, GroupDigest
from bot.services.reach.posts import GroupEvent, SeriesView
from bot.services.shifts.common import ShiftView
from bot.views import group_news as views
from bot.views.i18n import I18n
from bot.views.render import Reader
from models import OutboxMessage, OutboxStatus
from tests.conftest import T0
from tests.reach.factories import make_coordinator, make_teams

GROUP = -100778
TOMORROW_8 = T0 + timedelta(hours=22)  # Friday 08:00 WIB


def reader(lang: str) -> Reader:
    return Reader(I18n(), lang, "Asia/Jakarta", "IDR", T0)


def shift(taken: int, *, shift_id: int = 1, starts: timedelta = timedelta(0),
          cancelled: bool = False) -> ShiftView:
    start = TOMORROW_8 + starts
    return ShiftView(id=shift_id, title="Door-knocking", team_id=1, team_name="Jaksel",
                     place="Pasar Tebet", starts_at=start, ends_at=start + timedelta(hours=3),
                     capacity=3, taken=taken, skill_name=None, notes="", cancelled=cancelled)


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "⏳ 2 places left for tomorrow's Door-knocking 08:00, Pasar Tebet"),
    ("id", "⏳ Sisa 2 tempat untuk Door-knocking besok 08.00, Pasar Tebet"),
])
def test_places_left_read_like_the_team_would_say_it(lang: str, text: str) -> None:
    post = views.places_left_post(reader(lang), shift(1))
    assert post.text.replace("<b>", "").replace("</b>", "") == text
    assert len(post.keyboard) == 1 and len(post.keyboard[0]) == 1
    one = views.places_left_post(reader(lang), shift(2)).text
    assert ("1 place left" if lang == "en" else "Sisa 1 tempat") in one
    full = views.places_left_post(reader(lang), shift(3))
    assert full.keyboard == () and ("is full now" if lang == "en" else "sudah penuh") in full.text


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_series_post_claims_only_near_open_days_within_the_button_limits(lang: str) -> None:
    days = [shift(3 if d in (2, 5) else 0, shift_id=10 + d, starts=timedelta(days=d))
            for d in range(12)]
    days[1] = shift(0, shift_id=11, starts=timedelta(days=1), cancelled=True)
    post = views.series_post(reader(lang), SeriesView(tuple(days)))
    buttons = [b for row in post.keyboard for b in row]
    # Open and within 7 days of today: tomorrow (0) and 3, 4, 6 (1 cancelled, 2 and 5 full).
    assert [b.data for b in buttons] == ["grc1:10", "grc1:13", "grc1:14", "grc1:16"]
    assert all(len(row) <= 2 for row in post.keyboard)
    assert all(b.data is not None and len(b.data.encode()) <= 64 for b in buttons)
    assert post.text.count("\n•") == 12
    assert ("cancelled" if lang == "en" else "dibatalkan") in post.text


@pytest.mark.parametrize(("lang", "seen"), [
    ("en", ("Today and tomorrow for Jaksel", "1 of 3 taken: 2 places open", "Nothing planned",
            "2 places still open")),
    ("id", ("Hari ini dan besok untuk Jaksel", "1 dari 3 terisi: sisa 2 tempat",
            "Belum ada rencana", "Masih ada 2 tempat kosong")),
])
def test_the_digest_lists_the_work_and_open_places(lang: str, seen: tuple[str, ...]) -> None:
    item = DigestItem("Posko siang", "Tebet", T0 + timedelta(hours=4),
                      T0 + timedelta(hours=7), 1, 3, False)
    rally = DigestItem("Rapat", None, T0 + timedelta(hours=5), T0 + timedelta(hours=6), 4,
                       None, True)
    text = views.digest_post(reader(lang), GroupDigest("Jaksel", (item, rally), ())).text
    assert all(part in text for part in seen), text


async def test_digests_once_a_day_only_where_wanted_and_not_after_the_day(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    db = sessionmaker
    await make_teams(db)
    admin = await make_coordinator(db)
    await groups.link_group(db, admin, GROUP, "Relawan", "Jaksel", now=T0)
    await groups.link_group(db, admin, GROUP - 1, "Relawan 2", "Jaktim", now=T0)
    assert await group_digest.enqueue_group_digests(db, now=T0, tz="Asia/Jakarta") == 0
    assert await group_digest.set_digest(db, admin, GROUP, True, now=T0) == "Jaksel"
    assert await group_digest.enqueue_group_digests(db, now=T0, tz="Asia/Jakarta") == 1
    assert await group_digest.enqueue_group_digests(db, now=T0, tz="Asia/Jakarta") == 0
    async with db() as session:
        row = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == GROUP_DIGEST.name))
        assert row is not None and row.dedup_key == f"grp-digest:{GROUP}:2026-11-26"
        assert not row.urgent  # automatic: quiet hours hold it
        assert await group_digest.digest_to_send(session, row, T0, "Asia/Jakarta") is not None
        # Held past its day, it says nothing useful any more: skipped.
        late = T0 + timedelta(days=1)
        assert await group_digest.digest_to_send(session, row, late, "Asia/Jakarta") is None


async def test_a_moved_or_cancelled_event_makes_its_post_stale(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    db = sessionmaker
    teams = await make_teams(db)
    admin = await make_coordinator(db)
    await groups.link_group(db, admin, GROUP, "Relawan", "Jaksel", now=T0)
    draft = EventDraft(title="Rapat akbar", starts_at=T0 + timedelta(days=2),
                       ends_at=T0 + timedelta(days=2, hours=2), place="GBK",
                       team_id=teams["Jaksel"], capacity=3)
    event = await create_event(db, admin, draft, timing=Timing(), now=T0)
    async with db.begin() as session:
        row = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == GROUP_EVENT_POST.name))
        assert row is not None
        assert await posts.event_post_to_send(session, row) is not None
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
            status=OutboxStatus.SENT, telegram_message_id=56))
    assert await posts.stale_posts(db, now=T0) == []
    await edit_event(db, admin, event.id, {"start": T0 + timedelta(days=3)},
                     timing=Timing(), now=T0)
    stale = await posts.stale_posts(db, now=T0)
    assert len(stale) == 1 and isinstance(stale[0].post, GroupEvent)
    assert stale[0].post.starts_at == T0 + timedelta(days=3)
    await posts.mark_shown(db, {stale[0].post_id: stale[0].state})
    await cancel_event(db, admin, event.id, now=T0)
    stale = await posts.stale_posts(db, now=T0)
    assert len(stale) == 1 and "Cancelled" in views.post_for(reader("en"), stale[0]).text


def test_a_missed_morning_digest_is_caught_up_only_while_the_morning_lasts() -> None:
    from handlers.reach.group_news import digest_missed
    from tests.shifts.factories import settings

    s = settings()  # GROUP_DIGEST_TIME 07:00, Asia/Jakarta; T0 is 10:00 WIB
    assert digest_missed(T0, s)
    assert not digest_missed(T0 - timedelta(hours=4), s)  # 06:00: the job will run
    assert not digest_missed(T0 + timedelta(hours=1, minutes=1), s)  # 11:01: too late
