"""Events services on SQLite and PostgreSQL: rules, outbox rows and due times, check-in."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.delivery.kinds import event_plan_cause
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.events import attendance, events, messages, reading
from bot.services.events.events import EventDraft, Timing
from bot.services.people.members import Actor, actor_from
from bot.services.shifts import calendar
from bot.views import events_outbox
from bot.views import progress as progress_views
from bot.views.i18n import I18n
from bot.views.render import Reader
from models import Event, EventRsvp, OutboxMessage, OutboxStatus, Person, Role, RsvpStatus
from tests.conftest import T0

TIMING = Timing((24, 2), 24, 6)
START = T0 + timedelta(days=3)  # Sunday 29 Nov 2026, 10:00 Jakarta


async def person(
    sm: async_sessionmaker[AsyncSession], tg: int, role: Role = Role.VOLUNTEER
) -> Actor:
    async with sm.begin() as session:
        p = Person(
            telegram_id=tg, first_name=f"P{tg}", username=f"p{tg}", role=role, memberships=[]
        )
        session.add(p)
        await session.flush()
        await session.refresh(p, ["memberships"])
        return actor_from(p, "en")


async def new_event(sm: async_sessionmaker[AsyncSession], coord: Actor, **kw: object) -> int:
    draft = EventDraft(
        title=str(kw.pop("title", "Door to door")),
        starts_at=kw.pop("starts_at", START),  # type: ignore[arg-type]
        ends_at=kw.pop("ends_at", START + timedelta(hours=3)),  # type: ignore[arg-type]
        place="Pasar Minggu",
        **kw,  # type: ignore[arg-type]
    )
    view = await events.create_event(sm, coord, draft, timing=TIMING, now=T0)
    return view.id


async def rows(sm: async_sessionmaker[AsyncSession], **where: object) -> list[OutboxMessage]:
    async with sm() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.due_at, OutboxMessage.id)
        for key, value in where.items():
            query = query.where(getattr(OutboxMessage, key) == value)
        return list(await session.scalars(query))


def reader(now: datetime = T0) -> Reader:
    """An English reader at the moment `now` (what the dispatcher passes to renderers)."""
    return Reader(I18n("en"), "en", "Asia/Jakarta", "IDR", now)


async def test_create_refuses_bad_input_and_volunteers(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    vol = await person(sessionmaker, 2)
    with pytest.raises(InvalidInput) as past:
        await new_event(sessionmaker, coord, starts_at=T0 - timedelta(hours=1))
    assert past.value.key == "events.start_in_past"
    with pytest.raises(InvalidInput) as backwards:
        await new_event(sessionmaker, coord, ends_at=START - timedelta(hours=1))
    assert backwards.value.key == "events.end_before_start"
    with pytest.raises(NotAllowed):
        await new_event(sessionmaker, vol)
    async with sessionmaker() as session:
        assert (await session.scalars(select(Event))).all() == []
    # The escalation to the creator is scheduled with the event: 12 h before the start.
    event_id = await new_event(sessionmaker, coord)
    esc = await rows(sessionmaker, kind=messages.KIND_ESCALATION)
    assert [(r.chat_id, r.due_at) for r in esc] == [(1, START - timedelta(hours=12))]
    assert esc[0].cause == event_plan_cause(event_id)  # re-planned when the event moves


async def test_rsvp_schedules_reminders_and_capacity_holds(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani, budi = await person(sessionmaker, 2), await person(sessionmaker, 3)
    event_id = await new_event(sessionmaker, coord, capacity=1)
    result = await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    assert result.changed and result.event.going_count == 1
    mine = await rows(sessionmaker, person_id=ani.person_id)
    # No "24 h" reminder beside the confirmation question due at the same time: one message.
    assert [(r.kind, r.due_at) for r in mine] == [
        (messages.KIND_CONFIRM, START - timedelta(hours=24)),
        (messages.KIND_NUDGE, START - timedelta(hours=18)),
        (messages.KIND_REMINDER, START - timedelta(hours=2)),
    ]
    with pytest.raises(Conflict) as full:
        await events.rsvp(sessionmaker, budi, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    assert full.value.key == "events.full"
    # Ani steps back: her place is free, her pending messages are withdrawn.
    await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.DECLINED, timing=TIMING, now=T0)
    assert {r.status for r in await rows(sessionmaker, person_id=ani.person_id)} == {
        OutboxStatus.CANCELLED
    }
    again = await events.rsvp(sessionmaker, budi, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    assert again.event.going_count == 1


async def test_rsvp_refused_for_cancelled_or_started(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani = await person(sessionmaker, 2)
    event_id = await new_event(sessionmaker, coord)
    with pytest.raises(Conflict) as started:
        await events.rsvp(
            sessionmaker,
            ani,
            event_id,
            RsvpStatus.GOING,
            timing=TIMING,
            now=START + timedelta(minutes=1),
        )
    assert started.value.key == "events.rsvp_past"
    await events.cancel_event(sessionmaker, coord, event_id, now=T0)
    with pytest.raises(Conflict) as cancelled:
        await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    assert cancelled.value.key == "events.rsvp_cancelled"
    async with sessionmaker() as session:
        assert (await session.scalars(select(EventRsvp))).all() == []


async def test_edit_moves_reminders_and_tells_attendees(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani = await person(sessionmaker, 2)
    event_id = await new_event(sessionmaker, coord)
    await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    later = START + timedelta(days=1, hours=2)
    edited = await events.edit_event(
        sessionmaker, coord, event_id, {"start": later}, timing=TIMING, now=T0
    )
    view, told = edited.event, edited.told
    assert view.starts_at == later and view.ends_at == later + timedelta(hours=3)
    assert told == 1
    pending = await rows(sessionmaker, person_id=ani.person_id, status=OutboxStatus.PENDING)
    reminders = [r.due_at for r in pending if r.kind == messages.KIND_REMINDER]
    assert reminders == [later - timedelta(hours=2)]  # the 24 h one is the confirmation
    assert [r.kind for r in pending if r.kind == messages.KIND_UPDATE] == [messages.KIND_UPDATE]
    old = await rows(sessionmaker, person_id=ani.person_id, status=OutboxStatus.CANCELLED)
    assert {r.due_at for r in old if r.kind == messages.KIND_REMINDER} == {
        START - timedelta(hours=2),
    }
    # The update message shows the old and new times in the reader's timezone.
    async with sessionmaker() as session:
        upd = next(r for r in pending if r.kind == messages.KIND_UPDATE)
        row = await session.get(OutboxMessage, upd.id)
        assert row is not None
        out = await events_outbox.render_update(session, row, None, reader())
    assert out is not None and "29 Nov" in out.text and "30 Nov" in out.text


async def test_cancel_withdraws_and_notifies(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani = await person(sessionmaker, 2)
    event_id = await new_event(sessionmaker, coord)
    await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    told = (await events.cancel_event(sessionmaker, coord, event_id, now=T0)).told
    assert told == 1
    pending = await rows(sessionmaker, status=OutboxStatus.PENDING)
    assert [(r.kind, r.chat_id) for r in pending] == [(messages.KIND_CANCELLED, 2)]


async def test_renderers_skip_after_start_and_escalation_lists_unconfirmed(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clock = FrozenClock(T0)
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani, budi = await person(sessionmaker, 2), await person(sessionmaker, 3)
    event_id = await new_event(sessionmaker, coord)
    for who in (ani, budi):
        await events.rsvp(sessionmaker, who, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    confirm = (await rows(sessionmaker, kind=messages.KIND_CONFIRM, person_id=ani.person_id))[0]
    async with sessionmaker() as session:
        rsvp_id = int(confirm.params["rsvp_id"])
    clock.set(START - timedelta(hours=24))
    await attendance.answer_confirmation(
        sessionmaker, ani, rsvp_id, True, timing=TIMING, now=clock.now()
    )
    # Ani's nudge is withdrawn; Budi's stays.
    nudges = await rows(sessionmaker, kind=messages.KIND_NUDGE, status=OutboxStatus.PENDING)
    assert [r.person_id for r in nudges] == [budi.person_id]
    esc = (await rows(sessionmaker, kind=messages.KIND_ESCALATION))[0]
    reminder = (await rows(sessionmaker, kind=messages.KIND_REMINDER, person_id=budi.person_id))[-1]
    async with sessionmaker() as session:
        clock.set(START - timedelta(hours=12))
        esc_row = await session.get(OutboxMessage, esc.id)
        out = await events_outbox.render_escalation(session, esc_row, None, reader(clock.now()))  # type: ignore[arg-type]
        assert out is not None and "P3" in out.text and "P2" not in out.text
        assert "1 person said they're going but hasn't confirmed" in out.text
        counts = await reading.counts_for(session, event_id)
        assert (counts.going, counts.confirmed, counts.unconfirmed) == (2, 1, 1)
        rem_row = await session.get(OutboxMessage, reminder.id)
        # The bot was down across the 2 h reminder: sent late if the event has not begun...
        clock.set(START - timedelta(minutes=30))
        remind = events_outbox.render_reminder
        assert await remind(session, rem_row, None, reader(clock.now())) is not None  # type: ignore[arg-type]
        # ...skipped once it has.
        clock.set(START + timedelta(minutes=1))
        assert await remind(session, rem_row, None, reader(clock.now())) is None  # type: ignore[arg-type]


async def test_check_in_rules_no_shows_and_reliability(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani, budi = await person(sessionmaker, 2), await person(sessionmaker, 3)
    event_id = await new_event(sessionmaker, coord, latitude=-6.2846, longitude=106.8443)
    other_id = await new_event(
        sessionmaker,
        coord,
        title="Later",
        starts_at=START + timedelta(days=5),
        ends_at=START + timedelta(days=5, hours=1),
    )
    for who in (ani, budi):
        await events.rsvp(sessionmaker, who, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    async with sessionmaker() as session:
        token = (await session.get(Event, event_id)).checkin_token  # type: ignore[union-attr]
        other_token = (await session.get(Event, other_id)).checkin_token  # type: ignore[union-attr]
    during = START + timedelta(minutes=15)
    with pytest.raises(NotFound):
        await attendance.check_in_by_token(sessionmaker, ani, "nope", timing=TIMING, now=during)
    with pytest.raises(Conflict) as early:
        await attendance.check_in_by_token(sessionmaker, ani, token, timing=TIMING, now=T0)
    assert early.value.key == "events.checkin_too_early"
    with pytest.raises(Conflict):  # the other event's code, far outside its window
        await attendance.check_in_by_token(
            sessionmaker, ani, other_token, timing=TIMING, now=during
        )
    with pytest.raises(InvalidInput) as far:
        await attendance.check_in_by_location(
            sessionmaker, budi, event_id, -6.1754, 106.8272, timing=TIMING, now=during
        )
    assert far.value.key == "events.checkin_too_far"
    done = await attendance.check_in_by_token(sessionmaker, ani, token, timing=TIMING, now=during)
    assert not done.already and done.event_id == event_id
    again = await attendance.check_in_by_token(sessionmaker, ani, token, timing=TIMING, now=during)
    assert again.already
    assert await attendance.sweep_no_shows(sessionmaker, now=during) == 0
    assert await attendance.sweep_no_shows(sessionmaker, now=START + timedelta(hours=4)) == 1
    assert await attendance.sweep_no_shows(sessionmaker, now=START + timedelta(hours=5)) == 0
    async with sessionmaker() as session:
        rel = await attendance.reliability_of(session, [ani.person_id, budi.person_id])
        lines = await progress_views.me_section(session, budi, reader(), during)
    assert rel[ani.person_id].score == 1.0 and rel[budi.person_id].score == 0.0
    assert "0 of 1 shift or event" in lines[0] and "no-shows: 1" in lines[0]
    roster = await attendance.roster_csv(sessionmaker, coord, event_id)
    text = roster.data.decode("utf-8-sig").splitlines()
    assert text[0].startswith("name,username,rsvp,confirmed,checked_in,no_show,shift")
    assert "P2,p2,going,yes,yes,no,,1.00" in text
    assert "P3,p3,going,no,no,yes,,0.00" in text
    with pytest.raises(NotAllowed):
        await attendance.roster_csv(sessionmaker, ani, event_id)


async def test_calendar_file_parses(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani = await person(sessionmaker, 2)
    event_id = await new_event(sessionmaker, coord)
    await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    count, data = await calendar.my_calendar(
        sessionmaker, ani, tz="Asia/Jakarta", alarm_before=timedelta(hours=2), now=T0
    )
    assert count == 1
    cal = Calendar.from_ical(data)
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Door to door"
    assert vevent.decoded("DTSTART") == START
    assert str(vevent.decoded("DTSTART").tzinfo) == "Asia/Jakarta"
    assert vevent.decoded("DTEND") == START + timedelta(hours=3)
    (alarm,) = vevent.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(hours=2)
    assert cal.walk("VTIMEZONE")
