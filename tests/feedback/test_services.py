"""Feedback and the PDF report's services on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.features import outbox_renderers
from bot.services.events import attendance
from bot.services.people.members import TeamRef
from bot.services.progress import feedback, feedback_scores, report_figures, report_pdf, summary
from bot.services.progress.feedback import FeedbackClosed
from bot.services.shifts import checkin as shift_checkin
from bot.views import feedback as feedback_views
from bot.views import progress as progress_views
from bot.views import report_pdf as pdf_views
from bot.views.i18n import I18n
from bot.views.render import Reader
from models import (
    Event,
    FeedbackResponse,
    FeedbackRound,
    OutboxMessage,
    Person,
    QuestionKind,
    Role,
)
from tests.conftest import T0
from tests.progress.factories import Campaign, actor, build_campaign

TZ = "Asia/Jakarta"
RTL = "שלום مرحبا"


def reader(lang: str = "en", now: datetime = T0) -> Reader:
    return Reader(I18n(), lang, TZ, "IDR", now)


@pytest.fixture
async def campaign(sessionmaker: async_sessionmaker[AsyncSession]) -> Campaign:
    built = await build_campaign(sessionmaker, T0)
    # Attendance is judged first (the sweeps), then the bot asks.
    await attendance.sweep_no_shows(sessionmaker, now=T0)
    await shift_checkin.mark_no_shows(sessionmaker, now=T0)
    return built


async def _response_of(
    sessionmaker: async_sessionmaker[AsyncSession], person: Person, title: str
) -> int:
    async with sessionmaker() as session:
        rid = await session.scalar(
            select(FeedbackResponse.id)
            .join(FeedbackRound, FeedbackRound.id == FeedbackResponse.round_id)
            .where(FeedbackResponse.person_id == person.id, FeedbackRound.title == title)
        )
        assert rid is not None, f"{person.first_name} was not asked about {title}"
        return int(rid)


async def test_the_people_who_came_and_the_team_lead_are_asked_once(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    asked = await feedback.ask_for_feedback(sessionmaker, now=T0)
    # Kopdar (event): Vol4 came, Vol3 was a no-show, Lia leads Jaksel.  Kemarin (shift):
    # Vol1 and Vol2 came.  The upcoming event and shifts are not over: nobody is asked.
    assert asked == 5
    assert await feedback.ask_for_feedback(sessionmaker, now=T0 + timedelta(minutes=5)) == 0
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(FeedbackRound.title, Person.first_name, FeedbackResponse.as_lead)
                .join(FeedbackResponse, FeedbackResponse.round_id == FeedbackRound.id)
                .join(Person, Person.id == FeedbackResponse.person_id)
                .order_by(FeedbackRound.title, Person.first_name)
            )
        ).all()
        outbox = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "feedback.ask"))
        ).all()
    assert [tuple(r) for r in rows] == [
        ("Kemarin", "Lia", True),
        ("Kemarin", "Vol1", False),
        ("Kemarin", "Vol2", False),
        ("Kopdar", "Lia", True),
        ("Kopdar", "Vol4", False),
    ]
    assert len(outbox) == 5 and all(not m.urgent for m in outbox)  # quiet hours hold them
    assert len({m.cause for m in outbox}) == 2  # one per round: withdrawn together

    # The message, rendered at send time: one tap for 1..5 stars; skipped once answered.
    row = outbox[0]
    async with sessionmaker() as session:
        fresh = await session.get(OutboxMessage, row.id)
        assert fresh is not None
        out = await outbox_renderers()["feedback.ask"](session, fresh, None, reader("id"))
    assert out is not None and "Beri nilai" in out.text
    assert [b.text for b in out.keyboard[0]] == [f"{n}⭐" for n in range(1, 6)]
    assert all(len((b.data or "").encode()) <= 64 for b in out.keyboard[0])


async def test_rating_twice_counts_the_last_and_the_window_closes(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    await feedback.ask_for_feedback(sessionmaker, now=T0)
    vol4 = campaign.people[4]
    me = actor(vol4, Role.VOLUNTEER)
    rid = await _response_of(sessionmaker, vol4, "Kopdar")
    first = await feedback.rate(sessionmaker, me, rid, 2, now=T0)
    assert first.previous is None and first.step.rating == 2
    again = await feedback.rate(sessionmaker, me, rid, 5, now=T0 + timedelta(hours=1))
    assert again.previous == 2 and again.step.rating == 5
    async with sessionmaker() as session:
        ratings = (await session.scalars(select(FeedbackResponse.rating).where(
            FeedbackResponse.id == rid))).all()
    assert ratings == [5]

    # Someone else's answer (a forged button) is not found; 0 or 6 stars are refused.
    with pytest.raises(NotFound):
        await feedback.rate(sessionmaker, actor(campaign.people[1], Role.VOLUNTEER), rid, 1,
                            now=T0)
    with pytest.raises(InvalidInput):
        await feedback.rate(sessionmaker, me, rid, 6, now=T0)
    # After the window: refused, and the stored rating stays.
    late = T0 + feedback.WINDOW + timedelta(minutes=1)
    with pytest.raises(FeedbackClosed) as closed:
        await feedback.rate(sessionmaker, me, rid, 1, now=late)
    assert closed.value.closes_at <= late
    with pytest.raises(FeedbackClosed):
        await feedback.comment(sessionmaker, me, rid, "late words", now=late)
    async with sessionmaker() as session:
        assert await session.scalar(
            select(FeedbackResponse.rating).where(FeedbackResponse.id == rid)) == 5
        # An ask still queued after the window renders as nothing (skipped, not sent).
        row = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == "feedback.ask", OutboxMessage.person_id == campaign.lead.id))
        assert row is not None
        ask = outbox_renderers()["feedback.ask"]
        assert await ask(session, row, None, reader(now=late)) is None


async def test_a_long_comment_with_html_emoji_and_rtl_is_stored_and_shown_escaped(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    await feedback.ask_for_feedback(sessionmaker, now=T0)
    vol1 = campaign.people[1]
    rid = await _response_of(sessionmaker, vol1, "Kemarin")
    me = actor(vol1, Role.VOLUNTEER)
    await feedback.rate(sessionmaker, me, rid, 3, now=T0)
    text = ("<b>bold</b> & <script>x</script> 🎉🙏 " + RTL + " ") * 80
    text = text[:4000]
    step = await feedback.comment(sessionmaker, me, rid, text, now=T0)
    assert step.has_comment
    async with sessionmaker() as session:
        stored = await session.scalar(
            select(FeedbackResponse.comment).where(FeedbackResponse.id == rid))
    assert stored == text.strip()

    # A photo alone is a comment too (Vol2), shown with 📷.
    rid2 = await _response_of(sessionmaker, campaign.people[2], "Kemarin")
    photo = await feedback.comment(sessionmaker, actor(campaign.people[2], Role.VOLUNTEER), rid2,
                                   None, photo_file_id="AgACAgQAAx0photo", now=T0)
    assert photo.has_comment
    with pytest.raises(InvalidInput):
        await feedback.comment(sessionmaker, actor(campaign.people[2], Role.VOLUNTEER), rid2,
                               "   ", now=T0)

    coordinator = actor(campaign.admin, Role.ADMIN)
    shift_id = await _shift_id_of(sessionmaker, "Kemarin")
    results = await feedback_scores.round_results(sessionmaker, coordinator, shift_id=shift_id)
    lines = feedback_views.results_lines(reader(), results)
    shown = "\n".join(lines)
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "🎉" in shown
    assert RTL in shown and "…" in shown and len(shown) < 4096
    assert results.scores.ratings == 1 and results.scores.average == 3
    assert results.scores.comments == 2 and "📷" in shown


async def _shift_id_of(sessionmaker: async_sessionmaker[AsyncSession], title: str) -> int:
    async with sessionmaker() as session:
        sid = await session.scalar(
            select(FeedbackRound.shift_id).where(FeedbackRound.title == title)
        )
        assert sid is not None
        return int(sid)


async def test_custom_questions_are_asked_counted_and_locked_once_asked(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    coordinator = actor(campaign.admin, Role.ADMIN)
    async with sessionmaker() as session:
        kopdar = await session.scalar(select(Event.id).where(Event.title == "Kopdar"))
    assert kopdar is not None
    with pytest.raises(InvalidInput):
        await feedback.set_question(sessionmaker, coordinator, kopdar, "choice", "Venue? | one",
                                    now=T0)
    await feedback.set_question(sessionmaker, coordinator, kopdar, "number",
                                "How many flyers did you hand out?", now=T0)
    qs = await feedback.set_question(sessionmaker, coordinator, kopdar, "pilihan",
                                     "Venue? | good | ok | bad", now=T0)
    assert [(q.position, q.kind) for q in qs.questions] == [
        (1, QuestionKind.NUMBER), (2, QuestionKind.CHOICE)]
    with pytest.raises(InvalidInput) as full:
        await feedback.set_question(sessionmaker, coordinator, kopdar, "number", "Third?", now=T0)
    assert full.value.key == "feedback.questions_full"
    with pytest.raises(NotAllowed):  # a volunteer cannot add questions
        await feedback.set_question(sessionmaker, actor(campaign.people[0], Role.VOLUNTEER),
                                    kopdar, "number", "x?", now=T0)

    await feedback.ask_for_feedback(sessionmaker, now=T0)
    vol4, lia = campaign.people[4], campaign.lead
    for person, stars, flyers, venue in ((vol4, 4, "120", 0), (lia, 5, "1.000", 2)):
        me = actor(person, Role.VOLUNTEER)
        rid = await _response_of(sessionmaker, person, "Kopdar")
        rated = await feedback.rate(sessionmaker, me, rid, stars, now=T0)
        assert rated.step.question is not None and rated.step.question.kind == QuestionKind.NUMBER
        with pytest.raises(InvalidInput):
            await feedback.answer_question(sessionmaker, me, rid, rated.step.question.id,
                                           number_text="lots", now=T0)
        step = await feedback.answer_question(sessionmaker, me, rid, rated.step.question.id,
                                              number_text=flyers, now=T0)
        assert step.question is not None and step.question.kind == QuestionKind.CHOICE
        with pytest.raises(NotFound):  # a forged choice index
            await feedback.answer_question(sessionmaker, me, rid, step.question.id, choice=7,
                                           now=T0)
        done = await feedback.answer_question(sessionmaker, me, rid, step.question.id,
                                              choice=venue, now=T0)
        assert done.question is None
        text, keyboard = feedback_views.step_message(reader(), done)
        assert "comment" in text.lower() and all(
            len((b.data or "").encode()) <= 64 for row in keyboard for b in row)

    results = await feedback_scores.round_results(sessionmaker, coordinator, event_id=kopdar)
    number, choice = results.questions
    assert (number.answered, number.number_sum, number.number_average) == (2, 1120, 560)
    assert choice.choice_counts == (1, 0, 1)
    assert results.scores.distribution == (0, 0, 0, 1, 1) and results.scores.average == 4.5
    with pytest.raises(InvalidInput) as locked:
        await feedback.clear_questions(sessionmaker, coordinator, kopdar)
    assert locked.value.key == "feedback.questions_locked"


async def test_comments_are_read_by_coordinators_and_the_teams_leads_only(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    await feedback.ask_for_feedback(sessionmaker, now=T0)
    async with sessionmaker() as session:
        kopdar = await session.scalar(select(Event.id).where(Event.title == "Kopdar"))
    assert kopdar is not None
    lead = actor(campaign.lead, Role.LEAD, (TeamRef(campaign.jaksel.id, "Jaksel", True),))
    other_lead = actor(
        campaign.people[6], Role.LEAD, (TeamRef(campaign.bekasi.id, "Bekasi", True),)
    )
    results = await feedback_scores.round_results(sessionmaker, lead, event_id=kopdar)
    assert results.title == "Kopdar"
    with pytest.raises(NotAllowed):
        await feedback_scores.round_results(sessionmaker, other_lead, event_id=kopdar)
    with pytest.raises(NotAllowed):
        await feedback_scores.round_results(sessionmaker, actor(campaign.people[4], Role.VOLUNTEER),
                                            event_id=kopdar)
    assert await feedback_scores.recent_rounds(sessionmaker, other_lead, now=T0) == []
    assert len(await feedback_scores.recent_rounds(sessionmaker, lead, now=T0)) == 2

    # The summary and the event drill-down carry the scores.
    rid = await _response_of(sessionmaker, campaign.people[4], "Kopdar")
    await feedback.rate(sessionmaker, actor(campaign.people[4], Role.VOLUNTEER), rid, 4, now=T0)
    s = await summary.campaign_summary(sessionmaker, actor(campaign.admin, Role.ADMIN), now=T0)
    assert s.feedback is not None and (s.feedback.ratings, s.feedback.asked) == (1, 5)
    assert any("Feedback (30 days): <b>4</b>/5" in line
               for line in progress_views.summary_lines(reader(), s))
    detail = await summary.event_detail(sessionmaker, lead, kopdar)
    assert any("/feedback" in line for line in progress_views.event_lines(reader(), detail))


async def test_pdf_report_periods_refusals_and_an_empty_period(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    coordinator = actor(campaign.admin, Role.ADMIN, lang="id")
    gather = report_pdf.gather
    with pytest.raises(NotAllowed):
        await gather(sessionmaker, actor(campaign.people[0], Role.VOLUNTEER), None, now=T0,
                     tz=TZ, campaign="X")
    with pytest.raises(NotAllowed):  # a lead reads /summary, not the campaign's report
        await gather(sessionmaker, actor(campaign.lead, Role.LEAD,
                                         (TeamRef(campaign.jaksel.id, "Jaksel", True),)),
                     None, now=T0, tz=TZ, campaign="X")
    with pytest.raises(InvalidInput) as future:
        await gather(sessionmaker, coordinator, "2027-03-01..2027-03-31", now=T0, tz=TZ,
                     campaign="X")
    assert future.value.key == "report_pdf.future"
    with pytest.raises(InvalidInput) as reversed_range:
        await gather(sessionmaker, coordinator, "2026-11-20..2026-11-01", now=T0, tz=TZ,
                     campaign="X")
    assert reversed_range.value.key == "report_pdf.reversed"
    with pytest.raises(InvalidInput) as mixed:
        await gather(sessionmaker, coordinator, "Jaksel vs the moon", now=T0, tz=TZ,
                     campaign="X")
    assert mixed.value.key == "report_pdf.compare_mixed"

    empty = await gather(sessionmaker, coordinator, "2026-01-01..2026-01-31", now=T0, tz=TZ,
                         campaign="Kampanye Rakyat")
    assert empty.main.is_empty
    content = await pdf_views.build_pdf(empty, reader("id"))
    pdf = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert len(pdf.pages) == 1
    assert "Kampanye Rakyat" in text and "Belum ada yang bisa dilaporkan" in text


async def test_pdf_figures_match_the_database_and_teams_compare(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    await feedback.ask_for_feedback(sessionmaker, now=T0)
    rid = await _response_of(sessionmaker, campaign.people[4], "Kopdar")
    await feedback.rate(sessionmaker, actor(campaign.people[4], Role.VOLUNTEER), rid, 4, now=T0)
    await feedback.comment(sessionmaker, actor(campaign.people[4], Role.VOLUNTEER), rid,
                           "Rp 50.000 untuk konsumsi kurang 🙏 " + RTL, now=T0)
    coordinator = actor(campaign.admin, Role.ADMIN)
    report = await report_pdf.gather(sessionmaker, coordinator, "Jaksel vs Bekasi", now=T0,
                                     tz=TZ, campaign="Gotong Royong")
    assert report.compare_teams is not None
    jaksel, bekasi = report.compare_teams
    async with sessionmaker() as session:
        volunteers = await session.scalar(select(func.count(Person.id)).where(
            Person.role.in_((Role.VOLUNTEER, Role.LEAD))))
    assert report.main.data.total_volunteers == volunteers == 9
    assert (jaksel.members, bekasi.members) == (7, 2)  # Lia leads Jaksel
    # Attendance in the whole campaign: shift Kemarin 2 came; event Kopdar 1 came, 1 no-show.
    assert report.main.reliability == report_figures.Attendance(3, 1)
    assert jaksel.attendance == report_figures.Attendance(3, 1)
    content = await pdf_views.build_pdf(report, reader("en"))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Gotong Royong" in text and "Comparison: Jaksel and Bekasi" in text
    assert "Volunteers registered" in text and "Reliability (came)" in text
    assert "3 of 4 expected" in text and "75%" in text
    assert "Rp 50.000 untuk konsumsi kurang" in text  # emoji dropped, the words kept
    assert "What changed since the last report" in text
    # A second report tells what changed since the first.
    again = await report_pdf.gather(sessionmaker, coordinator, None, now=T0 + timedelta(hours=1),
                                    tz=TZ, campaign="Gotong Royong")
    assert again.since == T0  # the first report's moment
    assert {c.key for c in again.changes} >= {"new_volunteers", "ratings", "attended"}
