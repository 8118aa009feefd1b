"""Group links, posts and their fill level at the service level, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import GROUP_EVENT_POST
from bot.errors import NotAllowed, NotFound
from bot.services.events.events import EventDraft, Timing, create_event
from bot.services.people.members import Actor, TeamRef
from bot.services.reach import groups, posts
from bot.views import group_news as group_news_views
from bot.views import groups as group_views
from bot.views.i18n import I18n
from bot.views.render import Reader
from models import GroupPost, OutboxMessage, OutboxStatus, Role
from tests.conftest import T0
from tests.reach.factories import add_member, make_coordinator, make_teams
from tests.shifts.factories import settings

GROUP = -100777


def reader() -> Reader:
    return Reader(I18n(), "en", "Asia/Jakarta", "IDR", T0)


async def test_links_events_posts_and_going_from_the_group(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    db = sessionmaker
    teams = await make_teams(db)
    admin = await make_coordinator(db)
    lead_id = await add_member(db, 10, "Lina", teams["Jaktim"], lead=True, role=Role.LEAD)
    other_lead = Actor(lead_id, 10, "Lina", None, Role.LEAD, "en", True, None, True,
                       (TeamRef(teams["Jaktim"], "Jaktim", True),))
    with pytest.raises(NotAllowed):
        await groups.link_group(db, other_lead, GROUP, "Relawan", "Jaksel", now=T0)
    with pytest.raises(NotFound):
        await groups.link_group(db, admin, GROUP, "Relawan", "Bogor", now=T0)
    link = await groups.link_group(db, admin, GROUP, "Relawan", "jaksel", now=T0)
    assert (link.team_name, link.relinked) == ("Jaksel", False)
    assert await groups.linked_team(db, GROUP) == "Jaksel"

    draft = EventDraft(title="Rapat akbar", starts_at=T0 + timedelta(days=2),
                       ends_at=T0 + timedelta(days=2, hours=2), place="GBK",
                       team_id=teams["Jaksel"], capacity=3)
    event = await create_event(db, admin, draft, timing=Timing(), now=T0)
    async with db() as session:
        row = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == GROUP_EVENT_POST.name))
        assert row is not None and row.chat_id == GROUP and row.urgent
        post = await session.scalar(select(GroupPost))
        assert post is not None and post.kind == "event" and post.target_id == event.id
    # The post went out (what the dispatcher records): its message id is the outbox row's.
    async with db.begin() as session:
        rendered = await group_views.render_event_post(session, row, None, reader())
        assert rendered is not None and "Going: 0 of 3" in rendered.text
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
            status=OutboxStatus.SENT, telegram_message_id=55))
    assert await posts.stale_posts(db, now=T0) == []

    member_id = await add_member(db, 11, "Ani", teams["Jaksel"])
    ani = Actor(member_id, 11, "Ani", None, Role.VOLUNTEER, "en", True, None, True,
                (TeamRef(teams["Jaksel"], "Jaksel", False),))
    assert await groups.going_from_group(db, ani, GROUP, event.id, settings(), now=T0)
    assert not await groups.going_from_group(db, ani, GROUP, event.id, settings(), now=T0)
    with pytest.raises(NotFound):  # a button naming an event this group never got
        await groups.going_from_group(db, ani, -1, event.id, settings(), now=T0)
    stale = await posts.stale_posts(db, now=T0)
    assert [(s.message_id, s.state.rsplit("/", 1)[0]) for s in stale] == [(55, "1/3/scheduled")]
    assert "Going: 1 of 3" in group_news_views.post_for(reader(), stale[0]).text
    await posts.mark_shown(db, {stale[0].post_id: stale[0].state})
    assert await posts.stale_posts(db, now=T0) == []

    assert await groups.unlink_by(db, admin, GROUP) == "Jaksel"
    assert await groups.linked_team(db, GROUP) is None
    assert not await groups.bot_left_group(db, GROUP)  # already gone: nothing to do
