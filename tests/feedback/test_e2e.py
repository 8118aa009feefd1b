"""A simulated week through the real bot and the sandbox: people come (or not), rate it, and a
coordinator gets the PDF report in Bahasa Indonesia and in English, checked against the data."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.services.events import attendance, events
from bot.services.events.events import EventDraft, Timing
from bot.services.people.members import Actor, actor_from
from bot.services.people.teams import resolve_team_id
from bot.services.progress import feedback
from bot.services.shifts import checkin as shift_checkin
from bot.services.shifts import claims as shift_claims
from bot.services.shifts import plan as shifts
from bot.services.shifts.parsing import ShiftDraft
from bot.views.formatting import format_number, format_percent
from models import (
    EventRsvp,
    FeedbackResponse,
    OutboxMessage,
    Person,
    Role,
    RsvpStatus,
    ShiftSignup,
)
from tests.conftest import T0
from tests.support.harness import BotHarness, deliver, forged_press, start_harness

START = T0 + timedelta(days=1)  # Friday 27 Nov 2026, 10:00 Jakarta
COMMENT = "<b>Mantap</b> & <i>rapi</i> 🎉🙏 שלום مرحبا " + "x" * 3900


async def actor_of(bot: BotHarness, telegram_id: int) -> Actor:
    async with bot.db() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        assert person is not None
        return actor_from(person, "id")


def pdf_text(bot: BotHarness, message: object) -> tuple[str, int]:
    stored = bot.sandbox.world.files.get(message.document["file_id"])  # type: ignore[attr-defined]
    assert stored is not None
    pdf = PdfReader(io.BytesIO(bytes(stored.content)))
    # Extraction may break a line anywhere; compare with single spaces.
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    return text, len(pdf.pages)


async def test_a_week_in_the_field_ends_in_a_pdf_in_both_languages(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    url = f"sqlite+aiosqlite:///{tmp_path / 'week.sqlite3'}"
    async with start_harness(url, clock=clock, campaign_name="Relawan Bersatu") as bot:
        admin = bot.admin
        lia = bot.user(2, "Lia", "id", username="lia")
        people = {n: bot.user(n, f"Vol{n}", "id", username=f"v{n}") for n in range(10, 16)}
        for who in (admin, lia, *people.values()):
            ask = await who.send_and_wait("/start")
            await who.press(ask, 0, expect="edit")  # Bahasa Indonesia
        await admin.send_and_wait("/team create Jaksel")
        await admin.send_and_wait("/team create Jaktim")
        for n in (10, 11, 12, 13):
            await admin.send_and_wait(f"/team add Jaksel @v{n}")
        for n in (14, 15):
            await admin.send_and_wait(f"/team add Jaktim @v{n}")
        await admin.send_and_wait("/promote @lia lead Jaksel")
        await admin.send_and_wait("/goal volunteers 20 2026-12-31")

        # The week, through the services: an event for Jaksel, a shift for Jaktim.
        boss = await actor_of(bot, 1)
        jaksel = await resolve_team_id(bot.db, "Jaksel")
        event = await events.create_event(
            bot.db, boss,
            EventDraft("Kopdar Jaksel", START, START + timedelta(hours=2), team_id=jaksel),
            timing=Timing(), now=clock.now(),
        )
        await feedback.set_question(bot.db, boss, event.id, "number",
                                    "Berapa brosur yang kamu bagikan?", now=clock.now())
        for n in (10, 11, 12, 13):
            await events.rsvp(bot.db, await actor_of(bot, n), event.id, RsvpStatus.GOING,
                              timing=Timing(), now=clock.now())
        shift = await shifts.create_shift(
            bot.db, boss,
            ShiftDraft("Jaktim", "Posko Jaktim", START + timedelta(days=1),
                       START + timedelta(days=1, hours=3), 3, "Posko"),
            now=clock.now(),
        )
        signups = {}
        for n in (14, 15):
            claimed = await shift_claims.claim_shift(bot.db, await actor_of(bot, n), shift.id,
                                                     bot.settings, now=clock.now())
            signups[n] = claimed.signup_id
        clock.set(START + timedelta(minutes=10))
        lead = await actor_of(bot, 2)
        async with bot.db() as session:
            rsvps = dict((await session.execute(
                select(Person.telegram_id, EventRsvp.id)
                .join(Person, Person.id == EventRsvp.person_id)
                .where(EventRsvp.event_id == event.id))).all())
        for n in (10, 11, 12):  # Vol13 does not come
            await attendance.check_in_other(bot.db, lead, rsvps[n], timing=Timing(),
                                            now=clock.now())
        clock.set(START + timedelta(days=1, minutes=5))
        assert signups[14] is not None
        await shift_checkin.set_checked_in(bot.db, boss, signups[14], True, now=clock.now())
        # Saturday afternoon: attendance is judged, then the bot asks (what the jobs do).
        clock.set(START + timedelta(days=1, hours=5))
        await attendance.sweep_no_shows(bot.db, now=clock.now())
        await shift_checkin.mark_no_shows(bot.db, now=clock.now())
        assert await feedback.ask_for_feedback(bot.db, now=clock.now()) == 5  # 3 + Lia, 1
        await deliver(bot)

        # Vol10: 4 stars, then 5 (the last one counts, and the toast says so), the
        # question, then a long comment with HTML, emoji and RTL text.
        v10 = people[10]
        ask = await v10.next_message(predicate=lambda m: "Kopdar Jaksel" in m.text)
        assert [b for b in ask.button_texts if "⭐" in b] == [f"{n}⭐" for n in range(1, 6)]
        first = await v10.press(ask, "4⭐", expect="edit")
        assert first.message is not None and "Berapa brosur" in first.message.text
        assert "• 4⭐" in first.message.button_texts  # the chosen rating is marked
        again = await v10.press(first.message, "5⭐", expect="edit")
        assert again.answer.text is not None and "Diubah menjadi 5/5" in again.answer.text
        assert again.message is not None
        typing = await v10.press(again.message, "✍️ Ketik angka", expect="message")
        assert typing.message is not None and "Ketik angkanya" in typing.message.text
        bad = await v10.send_and_wait("banyak")
        assert "bukan angka" in bad.text
        counted = await v10.send_and_wait("120")
        assert "Komentar atau foto" in " ".join(counted.button_texts)
        prompt = await v10.press(counted, "💬 Komentar atau foto", expect="message")
        assert prompt.message is not None and "Tulis komentarmu" in prompt.message.text
        saved = await v10.send_and_wait(COMMENT)
        assert "Komentar tersimpan" in saved.text
        for n, stars in ((11, "3⭐"), (14, "2⭐")):
            asked = await people[n].next_message(
                predicate=lambda m: "⭐" in " ".join(m.button_texts)
            )
            await people[n].press(asked, stars, expect="edit")
        lia_ask = await lia.next_message(predicate=lambda m: "Kopdar Jaksel" in m.text)
        await lia.press(lia_ask, "4⭐", expect="edit")
        async with bot.db() as session:
            no_show_asked = await session.scalar(
                select(func.count(OutboxMessage.id))
                .join(Person, Person.id == OutboxMessage.person_id)
                .where(OutboxMessage.kind == "feedback.ask", Person.telegram_id.in_((13, 15))))
            stored = await session.scalar(
                select(FeedbackResponse.comment).where(FeedbackResponse.comment.is_not(None)))
            ratings = [int(r or 0) for r in (await session.scalars(select(
                FeedbackResponse.rating).where(FeedbackResponse.rating.is_not(None)))).all()]
            volunteers = int(await session.scalar(select(func.count(Person.id)).where(
                Person.role.in_((Role.VOLUNTEER, Role.LEAD)))) or 0)
            came = int(await session.scalar(select(func.count(EventRsvp.id)).where(
                EventRsvp.checked_in_at.is_not(None))) or 0) + int(await session.scalar(
                select(func.count(ShiftSignup.id)).where(ShiftSignup.checked_in_at.is_not(None)))
                or 0)
            missed = int(await session.scalar(select(func.count(EventRsvp.id)).where(
                EventRsvp.no_show.is_(True))) or 0) + int(await session.scalar(
                select(func.count(ShiftSignup.id)).where(ShiftSignup.no_show.is_(True))) or 0)
        assert no_show_asked == 0 and stored == COMMENT.strip()
        assert sorted(ratings) == [2, 3, 4, 5] and (came, missed) == (4, 2)
        average = sum(ratings) / len(ratings)

        # Comments: coordinators and Jaksel's lead read them, escaped.
        shown = await admin.send_and_wait(f"/feedback {event.id}")
        assert "&lt;b&gt;Mantap" not in shown.text  # the sandbox shows what Telegram renders
        assert "<b>Mantap</b>" in shown.text and "שלום" in shown.text and "120" in shown.text
        # The event's card shows the rating to the coordinator.
        opened = await admin.press(shown, data=f"evo1:{event.id}", expect="edit")
        assert opened.message is not None
        assert "⭐ Masukan: 4/5 · 3 dari 4 memberi nilai" in opened.message.text
        card = await admin.send_and_wait("/summary Jaksel vs Jaktim")
        assert "Jaksel" in card.text and "Jaktim" in card.text and "Kehadiran" in card.text
        weeks = await admin.send_and_wait("/summary minggu ini vs minggu lalu")
        assert "Relawan baru" in weeks.text and "23 Nov" in weeks.text and "16 Nov" in weeks.text
        not_hers = await lia.send_and_wait("/summary Jaksel vs Jaktim")  # Lia leads Jaksel only
        assert "Ini untuk tim lain" in not_hers.text  # her role, another team (issue #17)

        helped = await admin.send_and_wait("/help")
        assert "/report pdf minggu ini vs lalu" in helped.text and "/feedback" in helped.text
        # A volunteer may not have the PDF.
        refused = await people[12].send_and_wait("/report pdf")
        assert "peranmu tidak mengizinkan" in refused.text

        # The coordinator, in Indonesian: this week.
        working = await admin.send_and_wait("/report pdf minggu ini")
        assert "Menyusun laporan PDF" in working.text
        document = await admin.next_message()
        assert document.document is not None
        assert document.document["file_name"] == "gotong-report-2026-11-23-2026-11-29.pdf"
        text, pages = pdf_text(bot, document)
        assert pages >= 3
        assert "Relawan Bersatu" in text and "Laporan kampanye" in text
        assert f"Relawan terdaftar {format_number(volunteers, 'id')}" in text
        assert f"{came} dari {came + missed} yang diharapkan" in text
        assert format_percent(came / (came + missed), "id") in text
        assert f"{format_number(round(average, 1), 'id')}/5" in text  # 3,5/5
        assert "Kopdar Jaksel" in text and "Jaksel" in text and "Jaktim" in text
        assert "<b>Mantap</b> & <i>rapi</i>" in text  # plain text in the PDF, emoji dropped
        assert "Apa yang berubah sejak laporan terakhir" in text

        # In English, comparing this week with the last.
        lang = await admin.send_and_wait("/lang")
        await admin.press(lang, 1, expect="edit")
        clock.advance(hours=1)
        await admin.send_and_wait("/report pdf this week vs last")
        document = await admin.next_message()
        text, _ = pdf_text(bot, document)
        assert "Campaign report" in text and "Side by side" in text
        assert f"{format_number(round(average, 1), 'en')}/5" in text  # 3.5/5
        assert f"{came} of {came + missed} expected" in text
        assert "Since the last report" in text

        # A future period and a reversed range get clear answers, no PDF.
        future = await admin.send_and_wait("/report pdf 2027-01-01..2027-01-31")
        assert "has not started yet" in future.text
        reversed_range = await admin.send_and_wait("/report pdf 2026-11-20..2026-11-01")
        assert "ends before it starts" in reversed_range.text

        # After the window: Vol12's untouched ask is refused clearly; a forged one is stale.
        v12_ask = next(m for m in people[12].bot_messages() if "Kopdar Jaksel" in m.text)
        clock.advance(feedback.WINDOW + timedelta(hours=1))
        late = await people[12].press(v12_ask, "5⭐", expect="answer")
        assert late.answer.text is not None and "sudah ditutup" in late.answer.text
        assert "tidak berlaku" in await forged_press(bot, 12, v12_ask, "fbr1:999999:5")
        assert "tidak berlaku" in await forged_press(bot, 12, v12_ask, "fbr1:1:9")


async def test_the_ask_waits_out_quiet_hours(tmp_path: Path) -> None:
    """An event that ends at 20:30 is judged at 21:30: the ask waits until 07:00."""
    clock = FrozenClock(T0)  # Thursday 10:00 in Jakarta
    url = f"sqlite+aiosqlite:///{tmp_path / 'quiet.sqlite3'}"
    async with start_harness(url, clock=clock) as bot:
        admin, ani = bot.admin, bot.user(20, "Ani", "en", username="ani")
        for who in (admin, ani):
            ask = await who.send_and_wait("/start")
            await who.press(ask, 1, expect="edit")  # English
        boss = await actor_of(bot, 1)
        starts = T0 + timedelta(hours=8)  # 18:00
        event = await events.create_event(
            bot.db,
            boss,
            EventDraft("Evening rally", starts, starts + timedelta(hours=2, minutes=30)),
            timing=Timing(),
            now=clock.now(),
        )
        await events.rsvp(bot.db, await actor_of(bot, 20), event.id, RsvpStatus.GOING,
                          timing=Timing(), now=clock.now())
        clock.set(starts + timedelta(minutes=10))
        async with bot.db() as session:
            rsvp_id = await session.scalar(select(EventRsvp.id).where(
                EventRsvp.event_id == event.id))
        assert rsvp_id is not None
        await attendance.check_in_other(bot.db, boss, rsvp_id, timing=Timing(), now=clock.now())
        clock.set(T0 + timedelta(hours=11, minutes=30))  # 21:30: quiet hours
        await attendance.sweep_no_shows(bot.db, now=clock.now())
        assert await feedback.ask_for_feedback(bot.db, now=clock.now()) == 1
        await deliver(bot)
        assert not [m for m in ani.bot_messages() if "Evening rally" in m.text and "⭐" in
                    " ".join(m.button_texts)]
        clock.set(T0 + timedelta(hours=21, minutes=5))  # Friday 07:05
        await deliver(bot)
        asked = await ani.next_message(predicate=lambda m: "Evening rally" in m.text)
        assert "Rate it with one tap" in asked.text
        rated = await ani.press(asked, "5⭐", expect="edit")
        assert rated.answer.text == "Thank you! 5/5 saved."
        assert rated.message is not None and "A comment or a photo" in rated.message.text
