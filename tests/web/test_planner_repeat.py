"""Repeating shifts and events from the planner: the chat's series rules, through the API.

The planner's repeat form and the chat's repeat buttons are one use case
(`bot.services.shifts.series`): the same limits, the same catalog messages, nothing
written when a rule says no, a repeat pressed twice creates nothing twice.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.services.shifts.series import MAX_COPIES
from models import Event, Shift
from tests.support.harness import BotHarness, start_harness
from tests.web.support import COORDINATOR, LEAD, VOLUNTEER, seed_campaign, web_client
from tests.web.test_api import TOMORROW_8, TOMORROW_11, shift_body, text


async def starts(bot: BotHarness, model: type[Shift] | type[Event]) -> list[timedelta]:
    async with bot.db() as session:
        rows = list(await session.scalars(select(model.starts_at).order_by(model.starts_at)))
        return [s - rows[0] for s in rows]


async def count(bot: BotHarness, model: type[Shift] | type[Event]) -> int:
    async with bot.db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_repeat_a_shift_weekly_and_daily(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            made = await web.call("POST", "/api/shifts", user=COORDINATOR,
                                  body=shift_body(teams["jaksel"]))
            path = f"/api/shifts/{made.body['id']}/repeat"
            weekly = await web.call("POST", path, user=COORDINATOR,
                                    body={"step": "weekly", "count": 3})
            assert weekly.status == 200, weekly.body
            assert weekly.body["created"] == 3
            assert weekly.body["message"].startswith("✅ 3 copies of Door-knocking Tebet")
            # Until a date (the person's zone): Fri 27 Nov → 28, 29, 30 Nov, 1 Dec.
            daily = await web.call("POST", path, user=COORDINATOR,
                                   body={"step": "daily", "until": "2026-12-01"})
            assert daily.body["created"] == 4, daily.body
            # Again: everything exists already, nothing twice.
            again = await web.call("POST", path, user=COORDINATOR,
                                   body={"step": "weekly", "count": 3})
            assert again.body["created"] == 0 and again.body["skipped"] == 3
            assert again.body["message"] == text("shift_repeat.nothing",
                                                 title="Door-knocking Tebet")
            assert await starts(bot, Shift) == [timedelta(days=d) for d in (0, 1, 2, 3, 4)] + [
                timedelta(weeks=w) for w in (1, 2, 3)]
            # A volunteer's initData never repeats anything.
            refused = await web.call("POST", path, user=VOLUNTEER,
                                     body={"step": "daily", "count": 1})
            assert refused.status == 403
            assert await count(bot, Shift) == 8


async def test_bad_repeats_are_refused_and_write_nothing(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            made = await web.call("POST", "/api/shifts", user=COORDINATOR,
                                  body=shift_body(teams["jaksel"]))
            path = f"/api/shifts/{made.body['id']}/repeat"
            cases: list[tuple[dict[str, object], str, dict[str, object]]] = [
                ({"step": "weekly", "count": 0}, "series.bad_count", {"max": MAX_COPIES}),
                ({"step": "weekly", "count": 10**9}, "series.bad_count", {"max": MAX_COPIES}),
                ({"step": "daily", "until": "2026-11-20"}, "series.until_too_early",
                 {"date": "2026-11-28"}),
                ({"step": "daily", "until": "2026-11-27"}, "series.until_too_early",
                 {"date": "2026-11-28"}),
                ({"step": "daily", "until": "2030-01-01"}, "series.too_many",
                 {"max": MAX_COPIES}),
                ({"step": "daily", "count": 2, "until": "2026-12-01"}, "series.count_or_until",
                 {}),
                ({"step": "daily"}, "series.count_or_until", {}),
                ({"step": "hourly", "count": 2}, "series.bad_step", {}),
                ({"step": "daily", "count": "2"}, "webapp.bad_field", {"field": "count"}),
                ({"step": "daily", "until": "tomorrow"}, "webapp.bad_datetime",
                 {"field": "until"}),
            ]
            for body, key, params in cases:
                answer = await web.call("POST", path, user=COORDINATOR, body=body)
                assert answer.status == 422, (body, answer.body)
                assert answer.body["error"] == key, (body, answer.body)
                assert answer.message == text(key, "en", **params)
            # The same refusal in Indonesian, from the same catalog.
            answer = await web.call("POST", path, user=COORDINATOR, language="id",
                                    body={"step": "weekly", "count": 0})
            assert answer.status == 422
            assert await count(bot, Shift) == 1
            # Once the shift has started it is not repeated (the past is not planned).
            bot.clock.advance(timedelta(days=1))
            late = await web.call("POST", path, user=COORDINATOR,
                                  body={"step": "daily", "count": 1})
            assert late.status == 422 and late.message == text("series.past")
            assert await count(bot, Shift) == 1


async def test_repeat_an_event(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}") as bot:
        await seed_campaign(bot)
        async with web_client(bot) as web:
            made = await web.call("POST", "/api/events", user=COORDINATOR, body={
                "title": "Rally <b>", "starts_at": TOMORROW_8, "ends_at": TOMORROW_11,
                "place": "Monas", "capacity": 50, "team_id": None})
            assert made.status == 200, made.body
            event_id = made.body["id"]
            desk = await web.call("POST", "/api/shifts", user=COORDINATOR, body=shift_body(
                None, title="Registration desk", event_id=event_id, capacity=4))
            gone = await web.call("POST", "/api/shifts", user=COORDINATOR, body=shift_body(
                None, title="Old role", event_id=event_id))
            assert desk.status == gone.status == 200, (desk.body, gone.body)
            cancelled = await web.call("POST", f"/api/shifts/{gone.body['id']}/cancel",
                                       user=COORDINATOR, body={"version": gone.body["version"]})
            assert cancelled.status == 200, cancelled.body
            async with bot.db.begin() as session:  # a volunteer on the desk: not copied
                taken = await session.get_one(Shift, desk.body["id"])
                taken.taken = 1
            path = f"/api/events/{event_id}/repeat"
            weekly = await web.call("POST", path, user=COORDINATOR,
                                    body={"step": "weekly", "until": "2026-12-11"})
            assert weekly.status == 200, weekly.body
            assert weekly.body["created"] == 2
            assert "Rally <b>" in weekly.body["message"]
            assert text("shift_repeat.roles", count=2) in weekly.body["message"]
            assert await starts(bot, Event) == [timedelta(0), timedelta(weeks=1),
                                                timedelta(weeks=2)]
            async with bot.db() as session:  # each copy has its own empty desk, same hours
                events = (await session.scalars(select(Event).order_by(Event.starts_at))).all()
                desks = (await session.execute(
                    select(Shift.event_id, Shift.starts_at, Shift.capacity, Shift.taken)
                    .where(Shift.title == "Registration desk").order_by(Shift.starts_at)
                )).all()
                old_roles = await session.scalar(
                    select(func.count()).where(Shift.title == "Old role"))
            assert [(d.event_id, d.starts_at - e.starts_at, d.capacity, d.taken)
                    for d, e in zip(desks, events, strict=True)] == [
                (e.id, desks[0].starts_at - events[0].starts_at, 4, t)
                for e, t in zip(events, (1, 0, 0), strict=True)]
            assert old_roles == 1
            # The copies are on the planner, as events of their weeks.
            week = await web.call("GET", "/api/planner?start=2026-11-30", user=COORDINATOR)
            assert [e["title"] for e in week.body["events"]] == ["Rally <b>"]
            bad = await web.call("POST", path, user=COORDINATOR,
                                 body={"step": "weekly", "count": 0})
            assert bad.status == 422
            lead = await web.call("POST", path, user=LEAD, body={"step": "weekly", "count": 1})
            assert lead.status == 403
            assert await count(bot, Event) == 3
            again = await web.call("POST", path, user=COORDINATOR,
                                   body={"step": "weekly", "until": "2026-12-11"})
            assert again.body["created"] == 0 and await count(bot, Shift) == 3 + 1
