"""Who hasn't confirmed, from the People page: the card's 🔔 list and its "ask them again"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.delivery.kinds import EVENT_RENUDGE
from bot.views.i18n import I18n
from bot.views.render import to_plain
from models import Event, EventRsvp, OutboxMessage, Person, RsvpStatus
from sandbox import UserSpec
from tests.support.harness import BotHarness, deliver, start_harness
from tests.web.support import (
    COORDINATOR,
    LEAD,
    OTHER_LEAD,
    VOLUNTEER,
    VOLUNTEER_2,
    WebClient,
    seed_campaign,
    web_client,
)

I18N = I18n("en")


def text(key: str, lang: str = "en", **params: object) -> str:
    return to_plain(I18N.t(lang, key, **params))


async def make_event(web: WebClient, title: str, team_id: int | None, day: str) -> int:
    made = await web.call("POST", "/api/events", user=COORDINATOR, body={
        "title": title, "team_id": team_id, "starts_at": f"{day}T08:00",
        "ends_at": f"{day}T11:00"})
    assert made.status == 200, made.body
    return int(made.body["id"])


async def answer(bot: BotHarness, event_id: int, telegram_id: int, *, confirmed: bool) -> None:
    """An RSVP as the chat leaves it: Going, confirmed the day before or not yet."""
    now = bot.clock.now()
    async with bot.db.begin() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        assert person is not None
        session.add(EventRsvp(event_id=event_id, person_id=person.id, status=RsvpStatus.GOING,
                              responded_at=now, confirmed_at=now if confirmed else None))
        event = await session.get(Event, event_id)
        assert event is not None
        event.going_count += 1


async def nudges(bot: BotHarness) -> list[tuple[int, str]]:
    async with bot.db() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.dedup_key)
            .where(OutboxMessage.kind == EVENT_RENUDGE.name).order_by(OutboxMessage.id))
        return [(int(c), str(k)) for c, k in rows]


async def test_the_unconfirmed_are_listed_and_reminded_once(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        async with bot.db.begin() as session:
            ani = await session.scalar(select(Person).where(Person.telegram_id == VOLUNTEER))
            assert ani is not None
            ani.username = "ani_tebet"
        async with web_client(bot) as web:
            rally = await make_event(web, "Rally <b>Tebet</b>", teams["jaksel"], "2026-11-28")
            bogor = await make_event(web, "Bogor clean-up", teams["bogor"], "2026-11-29")
            await answer(bot, rally, VOLUNTEER, confirmed=False)
            await answer(bot, rally, VOLUNTEER_2, confirmed=False)
            await answer(bot, rally, LEAD, confirmed=True)

            listed = await web.call("GET", "/api/people/events", user=COORDINATOR)
            assert listed.status == 200
            by_id = {e["id"]: e for e in listed.body["events"]}
            assert (by_id[rally]["going"], by_id[rally]["unconfirmed"]) == (3, 2)
            assert (by_id[bogor]["going"], by_id[bogor]["unconfirmed"]) == (0, 0)
            assert by_id[rally]["title"] == "Rally <b>Tebet</b>"  # the page sets textContent

            silent = await web.call("GET", f"/api/events/{rally}/unconfirmed", user=COORDINATOR)
            assert silent.status == 200 and silent.body["can_remind"] is True
            assert [(p["name"], p["username"], p["chat_link"]) for p in silent.body["people"]] == [
                ("Ani", "ani_tebet", "https://t.me/ani_tebet"),
                ("Budi", None, f"tg://user?id={VOLUNTEER_2}"),
            ]

            # Ani has a chat with the bot before the reminder: the outbox's own loop may send
            # it at once, and Telegram would refuse a chat that does not exist yet.
            bot.sandbox.world.private_chat(UserSpec(VOLUNTEER, "Ani"))
            reminded = await web.call("POST", f"/api/events/{rally}/remind", user=COORDINATOR)
            assert reminded.status == 200
            assert reminded.body == {"count": 2, "message": text("events.renudged", count=2)}
            again = await web.call("POST", f"/api/events/{rally}/remind", user=COORDINATOR)
            assert again.body == {"count": 0, "message": text("webapp.remind_recent")}
            assert [c for c, _ in await nudges(bot)] == [VOLUNTEER, VOLUNTEER_2]

            # What Ani sees: the chat's own nudge with its Confirm buttons.
            await deliver(bot)
            [nudge] = bot.user(VOLUNTEER, "Ani").bot_messages()
            assert "We still need your answer" in nudge.text
            assert "Rally <b>Tebet</b>" in nudge.text  # shown as typed: escaped in the HTML
            assert len(nudge.button_texts) == 2

            # Ten minutes on, the same tap asks again.
            bot.clock.advance(minutes=11)
            later = await web.call("POST", f"/api/events/{rally}/remind", user=COORDINATOR)
            assert later.body["count"] == 2
            assert len(await nudges(bot)) == 4


async def test_leads_see_their_teams_events_and_only_coordinators_remind(
    tmp_path: Path,
) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            rally = await make_event(web, "Rally", teams["jaksel"], "2026-11-28")
            bogor = await make_event(web, "Bogor clean-up", teams["bogor"], "2026-11-29")
            everyone = await make_event(web, "Campaign night", None, "2026-11-30")
            await answer(bot, bogor, OTHER_LEAD, confirmed=False)

            mine = await web.call("GET", "/api/people/events", user=LEAD)
            assert [e["id"] for e in mine.body["events"]] == [rally, everyone]
            own = await web.call("GET", f"/api/events/{rally}/unconfirmed", user=LEAD)
            assert own.status == 200 and own.body["can_remind"] is False
            theirs = await web.call("GET", f"/api/events/{bogor}/unconfirmed", user=LEAD)
            # As the chat answers a forged 🔔 button: another team's event is not theirs to see.
            assert theirs.status == 404 and theirs.body["error"] == "events.not_found"
            remind = await web.call("POST", f"/api/events/{rally}/remind", user=LEAD)
            assert remind.status == 403
            volunteer = await web.call("GET", f"/api/events/{rally}/unconfirmed", user=VOLUNTEER)
            assert volunteer.status == 403
            missing = await web.call("GET", "/api/events/999999/unconfirmed", user=COORDINATOR)
            assert missing.status == 404

            # Once the event has begun there is nobody to ask any more.
            bot.clock.advance(timedelta(days=3, hours=1))
            over = await web.call("POST", f"/api/events/{bogor}/remind", user=COORDINATOR)
            assert over.status == 409
            listed = await web.call("GET", "/api/people/events", user=COORDINATOR)
            assert [e["id"] for e in listed.body["events"]] == [everyone]
        assert await nudges(bot) == []
