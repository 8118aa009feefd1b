"""An event's duties (its shifts; "roles" on screen) on SQLite and PostgreSQL: who may add
one, the window around the event, repeats that keep or drop the event, the card's
filled/places and the RSVP offer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.events import events, reading
from bot.services.events.duties import EVENT_WINDOW, within_event_window
from bot.services.shifts import repeat as shift_repeat
from bot.services.shifts.claims import claim_shift
from bot.services.shifts.parsing import ShiftDraft, parse_shift_line
from bot.services.shifts.plan import create_shift, edit_shift
from bot.views import events as event_views
from bot.views.shift_buttons import AddDuty
from models import Role, RsvpStatus, Shift
from tests.conftest import T0
from tests.events.test_event_services import START, TIMING, new_event, person, reader
from tests.shifts.factories import make_people, make_team, settings

END = START + timedelta(hours=3)


def duty(event_id: int | None, **kw: object) -> ShiftDraft:
    values: dict[str, object] = {
        "team_ref": None,
        "title": "Registration desk",
        "starts_at": START,
        "ends_at": END,
        "capacity": 4,
        "place": "GOR",
        "event_id": event_id,
    }
    values.update(kw)
    return ShiftDraft(**values)  # type: ignore[arg-type]


async def shift_rows(sm: async_sessionmaker[AsyncSession]) -> list[Shift]:
    async with sm() as session:
        return list(await session.scalars(select(Shift).order_by(Shift.starts_at, Shift.id)))


async def test_who_may_add_a_duty_and_where_it_may_lie(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    jaksel = await make_team(sessionmaker, "Jaksel")
    jaktim = await make_team(sessionmaker, "Jaktim")
    (lead,) = await make_people(sessionmaker, 1, team_id=jaksel, role=Role.LEAD, lead=True)
    (other_lead,) = await make_people(
        sessionmaker, 1, team_id=jaktim, role=Role.LEAD, lead=True, first_id=2000
    )
    (vol,) = await make_people(sessionmaker, 1, team_id=jaksel, first_id=3000)
    team_event = await new_event(sessionmaker, coord, team_id=jaksel)
    open_event = await new_event(sessionmaker, coord, title="Rally for all")

    # A coordinator adds a role without naming a team: it is the event's team's role.
    made = await create_shift(sessionmaker, coord, duty(team_event), now=T0)
    assert made.team_id == jaksel
    # The team's lead may staff their own team's event...
    await create_shift(sessionmaker, lead, duty(team_event, title="Security", capacity=2), now=T0)
    # ...but not another team's event, nor a campaign-wide one; volunteers not at all.
    for who, event_id in ((other_lead, team_event), (lead, open_event), (vol, team_event)):
        with pytest.raises(NotAllowed):
            await create_shift(sessionmaker, who, duty(event_id, title="Sneaky"), now=T0)
    with pytest.raises(NotFound):
        await create_shift(sessionmaker, coord, duty(999), now=T0)

    # The window: up to a day before the start, until a day after the end (edges included).
    early = START - EVENT_WINDOW
    await create_shift(
        sessionmaker, coord, duty(team_event, title="Set-up", starts_at=early,
                                  ends_at=early + timedelta(hours=4)), now=T0,
    )
    await create_shift(
        sessionmaker, coord, duty(team_event, title="Tidy-up", starts_at=END + timedelta(hours=20),
                                  ends_at=END + EVENT_WINDOW), now=T0,
    )
    for start, end in (
        (early - timedelta(minutes=1), early + timedelta(hours=2)),
        (END + timedelta(hours=22), END + EVENT_WINDOW + timedelta(minutes=1)),
        (START + timedelta(days=5), START + timedelta(days=5, hours=2)),
    ):
        with pytest.raises(InvalidInput) as outside:
            await create_shift(
                sessionmaker, coord, duty(team_event, title="Far", starts_at=start, ends_at=end),
                now=T0,
            )
        assert outside.value.key == "event_roles.outside_window"

    # Moving a role's time out of the window is refused too; inside it is fine.
    with pytest.raises(InvalidInput):
        await edit_shift(sessionmaker, coord, made.id, settings(), now=T0,
                         starts_at=START + timedelta(days=3))
    await edit_shift(sessionmaker, coord, made.id, settings(), now=T0,
                     starts_at=START - timedelta(hours=1))

    # A cancelled event takes no new roles (and its roles went with it).
    await events.cancel_event(sessionmaker, coord, team_event, now=T0)
    with pytest.raises(Conflict) as cancelled:
        await create_shift(sessionmaker, coord, duty(team_event, title="Late"), now=T0)
    assert cancelled.value.key == "events.is_cancelled"

    rows = await shift_rows(sessionmaker)
    assert sorted(r.title for r in rows) == ["Registration desk", "Security", "Set-up", "Tidy-up"]
    assert {r.event_id for r in rows} == {team_event}
    assert {r.team_id for r in rows} == {jaksel}


async def test_a_past_event_takes_no_duties(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    event_id = await new_event(sessionmaker, coord)
    after = END + timedelta(minutes=1)
    draft = duty(event_id, starts_at=after + timedelta(hours=1), ends_at=after + timedelta(hours=2))
    with pytest.raises(Conflict) as over:
        await create_shift(sessionmaker, coord, draft, now=after)
    assert over.value.key == "events.is_over"
    assert await shift_rows(sessionmaker) == []


async def test_repeats_keep_the_event_only_inside_its_window(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    event_id = await new_event(sessionmaker, coord)
    source = await create_shift(sessionmaker, coord, duty(event_id), now=T0)

    result = await shift_repeat.repeat_shift(sessionmaker, coord, source.id, "w", now=T0)
    assert len(result.created) == 6
    by_start = {r.starts_at: r.event_id for r in await shift_rows(sessionmaker)}
    # The next day's copy ends exactly a day after the event: still its role; later ones not.
    assert by_start[START] == event_id
    assert by_start[START + timedelta(days=1)] == event_id
    assert all(by_start[START + timedelta(days=d)] is None for d in range(2, 7))
    assert within_event_window(START + timedelta(days=1), END + timedelta(days=1), START, END)


async def test_card_counts_and_the_going_offer(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    jaksel = await make_team(sessionmaker, "Jaksel")
    ani, budi = await make_people(sessionmaker, 2, team_id=jaksel, first_id=3000)
    event_id = await new_event(sessionmaker, coord, team_id=jaksel)
    desk = await create_shift(sessionmaker, coord, duty(event_id), now=T0)
    security = await create_shift(
        sessionmaker, coord, duty(event_id, title="Security", capacity=1), now=T0
    )
    await claim_shift(sessionmaker, budi, security.id, settings(), now=T0)

    going = await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    # Security is full: only the desk is offered.
    assert [(o.shift_id, o.free) for o in going.offers] == [(desk.id, 4)]
    maybe = await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.MAYBE, timing=TIMING, now=T0)
    assert maybe.offers == ()

    await claim_shift(sessionmaker, ani, desk.id, settings(), now=T0)
    again = await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    assert again.offers == ()  # nothing left she hasn't taken

    view = await reading.get_event(sessionmaker, coord, event_id)
    text = "\n".join(event_views.card_lines(view, reader(), for_manager=True))
    assert "Registration desk 1/4 · Security 1/1" in text
    assert any(
        b.data == AddDuty(event_id).pack()
        for row in event_views.card_keyboard(view, reader())
        for b in row
    )
    vol_view = await reading.get_event(sessionmaker, ani, event_id)
    assert not vol_view.can_add_duties and "Registration desk 1/4" in "\n".join(
        event_views.card_lines(vol_view, reader())
    )


def test_one_line_event_field() -> None:
    base = "Jaksel | Registration desk | 2026-11-29 09:00 | 3h | 4 | GOR"
    tz = "Asia/Jakarta"
    assert parse_shift_line(base, now=T0, tz=tz, language="en").event_id is None
    draft = parse_shift_line(base + " | event:12", now=T0, tz=tz, language="en")
    assert draft.event_id == 12 and draft.place == "GOR"
    draft = parse_shift_line(base + " | First aid | bring a kit | acara: #7", now=T0, tz=tz,
                             language="id")
    assert (draft.event_id, draft.skill_ref, draft.notes) == (7, "First aid", "bring a kit")
    with pytest.raises(InvalidInput) as bad:
        parse_shift_line(base + " | event:tomorrow", now=T0, tz=tz, language="en")
    assert bad.value.key == "event_roles.bad_event_field"
