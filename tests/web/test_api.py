"""The Mini App's API against the real bot: the chat's services, rules and catalogs.

The key flows (planner read, shift create and edit conflict, the claim race through the
API, the dashboard) run on SQLite and PostgreSQL (`db_url`, see tests/conftest.py: under
CI=true an unreachable PostgreSQL fails instead of skipping); the rest on SQLite.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from bot.services.shifts.parsing import MAX_CAPACITY, MAX_TITLE
from bot.views.i18n import I18n
from bot.views.render import to_plain
from models import Broadcast, OutboxMessage, Person, Role, Shift, ShiftSignup, ShiftStatus
from tests.support.harness import BotHarness, start_harness
from tests.web.support import (
    COORDINATOR,
    LEAD,
    OTHER_LEAD,
    VOLUNTEER,
    VOLUNTEER_2,
    seed_campaign,
    web_client,
)

I18N = I18n("en")
# The harness's clock: Thursday 26 Nov 2026, 10:00 in Jakarta.
TOMORROW_8 = "2026-11-27T08:00"
TOMORROW_11 = "2026-11-27T11:00"


def text(key: str, lang: str = "en", **params: object) -> str:
    return to_plain(I18N.t(lang, key, **params))


def shift_body(team_id: int | None, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "team_id": team_id, "title": "Door-knocking Tebet", "starts_at": TOMORROW_8,
        "ends_at": TOMORROW_11, "capacity": 3, "place": "Pasar Tebet", "notes": "",
    }
    body.update(changes)
    return body


async def shift_count(bot: BotHarness) -> int:
    async with bot.db() as session:
        return int(await session.scalar(select(func.count()).select_from(Shift)) or 0)


async def test_plan_claim_edit_cancel_through_the_chat_use_cases(db_url: str) -> None:
    async with start_harness(db_url) as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            created = await web.call("POST", "/api/shifts", user=COORDINATOR,
                                     body=shift_body(teams["jaksel"]))
            assert created.status == 200, created.body
            shift = created.body
            assert (shift["title"], shift["team_name"], shift["start"], shift["end"]) == (
                "Door-knocking Tebet", "Jaksel", "08:00", "11:00")
            assert shift["starts_at"] == "2026-11-27T01:00:00+00:00"  # 08:00 WIB in UTC

            week = await web.call("GET", "/api/planner", user=COORDINATOR)
            assert week.status == 200
            assert week.body["start"] == "2026-11-23"  # the Monday of this week
            assert len(week.body["days"]) == 7
            (planned,) = week.body["shifts"]
            assert (planned["taken"], planned["capacity"], planned["fill"]) == (0, 3, "low")
            assert planned["understaffed"] is True

            mine = await web.call("GET", "/api/my", user=VOLUNTEER)
            assert [s["title"] for s in mine.body["open"]] == ["Door-knocking Tebet"]
            claimed = await web.call("POST", f"/api/shifts/{shift['id']}/claim", user=VOLUNTEER)
            assert claimed.status == 200 and claimed.body["claimed"] is True
            assert claimed.body["message"] == text("shifts.claimed")
            again = await web.call("POST", f"/api/shifts/{shift['id']}/claim", user=VOLUNTEER)
            assert again.status == 409 and again.message == text("shifts.already_yours")
            mine = await web.call("GET", "/api/my", user=VOLUNTEER)
            assert [s["title"] for s in mine.body["mine"]] == ["Door-knocking Tebet"]
            assert mine.body["open"] == []

            week = await web.call("GET", "/api/planner", user=LEAD)  # the team's own lead
            (planned,) = week.body["shifts"]
            assert planned["taken"] == 1

            edited = await web.call(
                "PUT", f"/api/shifts/{shift['id']}", user=COORDINATOR,
                body={"version": planned["version"], "capacity": 1, "place": "Balai Warga"},
            )
            assert edited.status == 200, edited.body
            assert (edited.body["capacity"], edited.body["place"], edited.body["fill"]) == (
                1, "Balai Warga", "full")
            assert edited.body["version"] != planned["version"]
            below = await web.call(
                "PUT", f"/api/shifts/{shift['id']}", user=COORDINATOR,
                body={"version": edited.body["version"], "capacity": 0},
            )
            assert below.status == 422 and below.message == text(
                "shifts.bad_capacity", max=MAX_CAPACITY)

            cancelled = await web.call("POST", f"/api/shifts/{shift['id']}/cancel",
                                       user=COORDINATOR, body={"version": edited.body["version"]})
            assert cancelled.status == 200, cancelled.body
            assert cancelled.body["cancelled"] is True and cancelled.body["told"] == 1
        async with bot.db() as session:
            row = await session.get(Shift, shift["id"])
            assert row is not None and row.status == ShiftStatus.CANCELLED
            assert (row.capacity, row.place) == (1, "Balai Warga")
            kinds = set(await session.scalars(select(OutboxMessage.kind)))
            assert {"shift.changed", "shift.cancelled"} <= kinds


async def test_bad_input_is_refused_with_the_chats_words(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        jaksel = teams["jaksel"]
        async with web_client(bot) as web:
            cases = [
                (shift_body(jaksel, ends_at="2026-11-27T07:00"), "shifts.end_before_start", {}),
                (shift_body(jaksel, starts_at="2026-11-20T08:00", ends_at="2026-11-20T09:00"),
                 "shifts.in_past", None),
                (shift_body(jaksel, capacity=0), "shifts.bad_capacity", {"max": MAX_CAPACITY}),
                (shift_body(jaksel, capacity=10**9), "shifts.bad_capacity",
                 {"max": MAX_CAPACITY}),
                (shift_body(jaksel, title="x" * 5000), "shifts.bad_title", {"max": MAX_TITLE}),
                (shift_body(jaksel, title="   "), "shifts.bad_title", {"max": MAX_TITLE}),
                (shift_body(jaksel, capacity="3"), "webapp.bad_field", {"field": "capacity"}),
                (shift_body(jaksel, capacity=True), "webapp.bad_field", {"field": "capacity"}),
                (shift_body(jaksel, starts_at="tomorrow"), "webapp.bad_datetime",
                 {"field": "starts_at"}),
                (shift_body(jaksel, ends_at="2026-11-28T12:00"), "shifts.too_long", {}),
                (shift_body(jaksel, notes="n" * 1001), "webapp.too_long",
                 {"field": "notes", "max": 1000}),
            ]
            for body, key, params in cases:
                answer = await web.call("POST", "/api/shifts", user=COORDINATOR, body=body)
                assert answer.status == 422, (key, answer.body)
                assert answer.body["error"] == key
                if params is not None:
                    assert answer.message == text(key, **params)
            # Indonesian people read Indonesian, from the same catalog.
            answer = await web.call("POST", "/api/shifts", user=VOLUNTEER_2, language="id",
                                    body=shift_body(jaksel))
            assert answer.status == 403
            async with bot.db.begin() as session:
                person = await session.scalar(select(Person).where(Person.telegram_id == LEAD))
                assert person is not None
                person.language = "id"
            answer = await web.call("POST", "/api/shifts", user=LEAD,
                                    body=shift_body(jaksel, capacity=0))
            assert answer.message == text("shifts.bad_capacity", "id", max=MAX_CAPACITY)
            assert answer.message != text("shifts.bad_capacity", max=MAX_CAPACITY)
            assert await shift_count(bot) == 0

            # HTML and script in every text field are kept as typed: data, never markup.
            hostile = "<script>alert(1)</script><b>&amp;</b>"
            made = await web.call("POST", "/api/shifts", user=COORDINATOR,
                                  body=shift_body(jaksel, title=hostile, place=hostile,
                                                  notes=hostile))
            assert made.status == 200, made.body
            assert (made.body["title"], made.body["place"], made.body["notes"]) == (
                hostile, hostile, hostile)
            event = await web.call("POST", "/api/events", user=COORDINATOR, body={
                "title": hostile, "starts_at": TOMORROW_8, "ends_at": TOMORROW_11,
                "place": hostile, "description": hostile, "capacity": None, "team_id": None})
            assert event.status == 200, event.body
            assert (event.body["title"], event.body["place"], event.body["description"]) == (
                hostile, hostile, hostile)
            bad_event = await web.call("POST", "/api/events", user=COORDINATOR, body={
                "title": "Rally", "starts_at": TOMORROW_11, "ends_at": TOMORROW_8})
            assert bad_event.status == 422 and bad_event.message == text(
                "events.end_before_start")


async def test_two_browsers_saving_one_shift(db_url: str) -> None:
    async with start_harness(db_url) as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            made = await web.call("POST", "/api/shifts", user=COORDINATOR,
                                  body=shift_body(teams["jaksel"]))
            shift_id, version = made.body["id"], made.body["version"]
            # A refused save does not make the version stale.
            refused = await web.call("PUT", f"/api/shifts/{shift_id}", user=COORDINATOR,
                                     body={"version": version, "capacity": 10**9})
            assert refused.status == 422
            first, second = await asyncio.gather(
                web.call("PUT", f"/api/shifts/{shift_id}", user=COORDINATOR,
                         body={"version": version, "capacity": 7}),
                web.call("PUT", f"/api/shifts/{shift_id}", user=LEAD,
                         body={"version": version, "capacity": 9}),
            )
            statuses = sorted([first.status, second.status])
            assert statuses == [200, 409], (first.body, second.body)
            winner, loser = (first, second) if first.status == 200 else (second, first)
            assert loser.message == text("webapp.changed_meanwhile")
            stale_cancel = await web.call("POST", f"/api/shifts/{shift_id}/cancel",
                                          user=COORDINATOR, body={"version": version})
            assert stale_cancel.status == 409
            missing = await web.call("PUT", f"/api/shifts/{shift_id}", user=COORDINATOR,
                                     body={"capacity": 4})
            assert missing.status == 409 and missing.body["error"] == "webapp.version_missing"
        async with bot.db() as session:
            row = await session.get(Shift, shift_id)
            assert row is not None and row.status == ShiftStatus.OPEN
            assert row.capacity == winner.body["capacity"]  # the winner's save, whole


async def test_the_last_place_raced_through_the_api(db_url: str) -> None:
    """Two volunteers tap Claim on the last place at once, and one of them twice: one place
    is handed out, the other is told the shift is full, nothing is counted twice."""
    async with start_harness(db_url) as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            made = await web.call("POST", "/api/shifts", user=COORDINATOR,
                                  body=shift_body(teams["jaksel"], capacity=1))
            assert made.status == 200, made.body
            shift_id = made.body["id"]
            answers = await asyncio.gather(
                web.call("POST", f"/api/shifts/{shift_id}/claim", user=VOLUNTEER),
                web.call("POST", f"/api/shifts/{shift_id}/claim", user=VOLUNTEER_2),
                web.call("POST", f"/api/shifts/{shift_id}/claim", user=VOLUNTEER_2),
            )
            won = [a for a in answers if a.status == 200 and a.body["claimed"] is True]
            assert len(won) == 1, [a.body for a in answers]
            title = "Door-knocking Tebet"
            for lost in (a for a in answers if a not in won):
                assert (lost.status, lost.message) in {
                    (200, text("shifts.full", title=title)),
                    (409, text("shifts.already_yours")),
                }, lost.body
            assert won[0].body["message"] == text("shifts.claimed")
            week = await web.call("GET", "/api/planner", user=COORDINATOR)
            (planned,) = week.body["shifts"]
            assert (planned["taken"], planned["capacity"], planned["fill"]) == (1, 1, "full")
        async with bot.db() as session:
            row = await session.get(Shift, shift_id)
            assert row is not None and row.taken == 1
            signups = await session.scalar(select(func.count()).select_from(ShiftSignup).where(
                ShiftSignup.shift_id == shift_id))
            assert signups == 1


async def test_leads_plan_their_own_teams_only(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            mine = await web.call("POST", "/api/shifts", user=LEAD,
                                  body=shift_body(teams["jaksel"]))
            assert mine.status == 200
            foreign = await web.call("POST", "/api/shifts", user=OTHER_LEAD,
                                     body=shift_body(teams["jaksel"]))
            assert foreign.status == 403
            # No team named: a lead's own team, as /newshift reads it.
            unnamed = await web.call("POST", "/api/shifts", user=OTHER_LEAD,
                                     body=shift_body(None))
            assert unnamed.status == 200 and unnamed.body["team_name"] == "Bogor"
            edit = await web.call("PUT", f"/api/shifts/{mine.body['id']}", user=OTHER_LEAD,
                                  body={"version": mine.body["version"], "capacity": 9})
            assert edit.status == 403
            peek = await web.call("GET", f"/api/planner?team={teams['jaksel']}",
                                  user=OTHER_LEAD)
            assert peek.status == 403
            own = await web.call("GET", "/api/planner", user=OTHER_LEAD)
            assert own.status == 200
            assert [s["team_name"] for s in own.body["shifts"]] == ["Bogor"]
            assert [t["name"] for t in own.body["teams"]] == ["Bogor"]
            event = await web.call("POST", "/api/events", user=LEAD, body={
                "title": "Rally", "starts_at": TOMORROW_8, "ends_at": TOMORROW_11})
            assert event.status == 403  # events are the coordinators', as in chat
        async with bot.db() as session:
            row = await session.get(Shift, mine.body["id"])
            assert row is not None and row.capacity == 3


async def test_people_dashboard_and_broadcast(db_url: str) -> None:
    async with start_harness(db_url) as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            people = await web.call("GET", "/api/people", user=COORDINATOR)
            assert people.status == 200
            names = {p["name"]: p for p in people.body["people"]}
            assert {"Ani", "Budi", "Lina", "Bima", "Cora"} <= set(names)
            assert names["Lina"]["role"] == "lead"
            assert names["Lina"]["teams"] == [{"id": teams["jaksel"], "name": "Jaksel",
                                                "lead": True}]
            lead_view = await web.call("GET", "/api/people", user=LEAD)
            assert {p["name"] for p in lead_view.body["people"]} == {"Ani", "Budi", "Lina"}
            promoted = await web.call(
                "POST", f"/api/people/{names['Ani']['person_id']}/role", user=COORDINATOR,
                body={"role": "lead", "team_id": teams["jaksel"]})
            assert promoted.status == 200, promoted.body
            assert (promoted.body["before"], promoted.body["after"]) == ("volunteer", "lead")
            not_theirs = await web.call(
                "POST", f"/api/people/{names['Budi']['person_id']}/role", user=LEAD,
                body={"role": "coordinator"})
            assert not_theirs.status == 403

            await web.call("POST", "/api/shifts", user=COORDINATOR,
                           body=shift_body(teams["jaksel"]))
            dash = await web.call("GET", "/api/dashboard", user=COORDINATOR)
            assert dash.status == 200
            assert dash.body["shifts"]["places"] == 3 and dash.body["shifts"]["filled"] == 0
            assert dash.body["volunteers"]["total"] == 4  # Ani, Budi and the two leads

            audiences = await web.call("GET", "/api/broadcast/audiences", user=COORDINATOR)
            kinds = {a["kind"]: a for a in audiences.body["audiences"]}
            assert "all" in kinds
            team_keys = [c["key"] for c in kinds["team"]["choices"]]
            assert f"team:{teams['jaksel']}" in team_keys
            draft = await web.call("POST", "/api/broadcasts", user=COORDINATOR,
                                   body={"text": "Rapat <b>besok</b> & jangan telat"})
            assert draft.status == 200
            chosen = await web.call("POST", f"/api/broadcasts/{draft.body['id']}/audience",
                                    user=COORDINATOR,
                                    body={"audience": f"team:{teams['jaksel']}"})
            assert chosen.status == 200 and chosen.body["count"] == 3  # Lina, Ani, Budi
            outlook = await web.call("POST", f"/api/broadcasts/{draft.body['id']}/outlook",
                                     user=COORDINATOR, body={})
            assert outlook.body == {"total": 3, "held": 0, "notice": None}  # 10:00 WIB
            night = await web.call("POST", f"/api/broadcasts/{draft.body['id']}/outlook",
                                   user=COORDINATOR, body={"scheduled_at": "2026-11-26T23:00"})
            assert night.body["held"] == 3 and night.body["notice"]
            sent = await web.call("POST", f"/api/broadcasts/{draft.body['id']}/send",
                                  user=COORDINATOR, body={})
            assert sent.status == 200 and sent.body["total"] == 3
            twice = await web.call("POST", f"/api/broadcasts/{draft.body['id']}/send",
                                   user=COORDINATOR, body={})
            assert twice.status == 409
        async with bot.db() as session:
            b = await session.get(Broadcast, draft.body["id"])
            assert b is not None and b.text == "Rapat &lt;b&gt;besok&lt;/b&gt; &amp; jangan telat"
            rows = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.broadcast_id == b.id))
            assert rows == 3


async def test_strings_in_both_languages(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        await seed_campaign(bot)
        async with web_client(bot) as web:
            en = await web.call("GET", "/api/strings?lang=en")
            id_ = await web.call("GET", "/api/strings?lang=id")
            assert en.body["strings"].keys() == id_.body["strings"].keys()
            assert en.body["strings"]["tab_planner"] != id_.body["strings"]["tab_planner"]
            me = await web.call("GET", "/api/me", user=VOLUNTEER)
            assert me.body["role"] == Role.VOLUNTEER.value
            assert me.body["can"]["plan"] is False and me.body["can"]["volunteer"] is True
            assert me.body["strings"] == en.body["strings"]
