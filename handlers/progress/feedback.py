"""Evaluating the campaign: rating buttons, comments, /feedback, /report pdf, /summary A vs B.

Listed before `handlers.progress.summary` in `bot/features.py`: the `/report pdf ...`
and `/summary A vs B` handlers match only those forms, everything else falls through to
progress's own /report and /summary.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from telegram import CallbackQuery, InputFile, Update
from telegram.ext import CommandHandler, filters

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput, NotFound
from bot.services import flows
from bot.services.authz import Permission
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.services.progress import feedback, feedback_scores, report_pdf
from bot.services.progress.feedback import FeedbackClosed, Step
from bot.views import feedback as feedback_views
from bot.views import feedback as views
from bot.views import progress_compare as pdf_views
from bot.views.render import Reader
from handlers.buttons import pressed
from handlers.common import edit_or_send, int_arg, reader_for, send
from handlers.feature import Every, Feature
from handlers.guard import StaleButton, guarded

log = logging.getLogger(__name__)

FLOW_NUMBER = "feedback_number"
FLOW_COMMENT = "feedback_comment"
ASK_JOB = "feedback.ask"
ASK_EVERY_SECONDS = 300
QUESTION_WORDS = {"question", "questions", "tanya", "pertanyaan"}
OFF_WORDS = {"off", "hapus", "remove", "clear"}
PDF_COMMAND = filters.Regex(r"(?i)^/report(@\w+)?\s+pdf\b")
VS_COMMAND = filters.Regex(r"(?i)^/summary(@\w+)?\s+.+\s(vs\.?|versus|lawan|dibanding\w*)\s+\S")


def _closed(reader: Reader, exc: FeedbackClosed) -> InvalidInput:
    return InvalidInput("feedback.closed", closed=reader.when(exc.closes_at))


@contextmanager
def _refusals(reader: Reader) -> Iterator[None]:
    """A closed round is told with its date; an answer that is not one's own is stale."""
    try:
        yield
    except FeedbackClosed as exc:
        raise _closed(reader, exc) from None
    except NotFound:
        raise StaleButton() from None


# ---- answering ------------------------------------------------------------------------------
async def _show_step(update: Update, context: GotongContext, reader: Reader, step: Step) -> None:
    text, keyboard = views.step_message(reader, step)
    await edit_or_send(update, context, text, keyboard)


def _query(update: Update) -> CallbackQuery:
    assert update.callback_query is not None
    return update.callback_query


@pressed(views.Rate, Permission.VOLUNTEER)
async def cb_feedback_rate(
    update: Update, context: GotongContext, actor: Actor, data: views.Rate
) -> None:
    """1–5 stars; the toast says when a press changed the rating."""
    reader = reader_for(context, actor)
    with _refusals(reader):
        rated = await feedback.rate(
            context.db, actor, data.response_id, data.stars, now=context.clock.now()
        )
    await _query(update).answer(views.rated_toast(reader, rated, data.stars))
    await _show_step(update, context, reader, rated.step)


@pressed(views.Choose, Permission.VOLUNTEER)
async def cb_feedback_choose(
    update: Update, context: GotongContext, actor: Actor, data: views.Choose
) -> None:
    """A custom question's choice."""
    reader = reader_for(context, actor)
    with _refusals(reader):
        step = await feedback.answer_question(
            context.db,
            actor,
            data.response_id,
            data.question_id,
            choice=data.choice,
            now=context.clock.now(),
        )
    await _query(update).answer(reader.t("feedback.answer_toast"))
    await _show_step(update, context, reader, step)


@pressed(views.Skip, Permission.VOLUNTEER)
async def cb_feedback_skip(
    update: Update, context: GotongContext, actor: Actor, data: views.Skip
) -> None:
    """ "Skip" on a custom question."""
    reader = reader_for(context, actor)
    with _refusals(reader):
        step = await feedback.answer_question(
            context.db,
            actor,
            data.response_id,
            data.question_id,
            skip=True,
            now=context.clock.now(),
        )
    await _query(update).answer(reader.t("feedback.answer_toast"))
    await _show_step(update, context, reader, step)


@pressed(views.TypeNumber, Permission.VOLUNTEER)
async def cb_feedback_number(
    update: Update, context: GotongContext, actor: Actor, data: views.TypeNumber
) -> None:
    """ "Type a number": the next message answers the question (`step_number`)."""
    reader = reader_for(context, actor)
    now = context.clock.now()
    with _refusals(reader):
        await feedback.step_of(context.db, actor, data.response_id, now=now)
    await flows.start_flow(
        context.db,
        actor.telegram_id,
        FLOW_NUMBER,
        "number",
        {"response_id": data.response_id, "question_id": data.question_id},
        now=now,
    )
    await _query(update).answer()
    await send(update, context, reader.t("feedback.number_prompt"))


@pressed(views.AddComment, Permission.VOLUNTEER)
async def cb_feedback_comment(
    update: Update, context: GotongContext, actor: Actor, data: views.AddComment
) -> None:
    """ "Comment": the next message (text or photo) is the comment (`step_comment`)."""
    reader = reader_for(context, actor)
    now = context.clock.now()
    with _refusals(reader):
        await feedback.step_of(context.db, actor, data.response_id, now=now)
    await flows.start_flow(
        context.db,
        actor.telegram_id,
        FLOW_COMMENT,
        "comment",
        {"response_id": data.response_id},
        now=now,
    )
    await _query(update).answer()
    await send(update, context, reader.t("feedback.comment_prompt"))


async def step_number(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    """The typed answer to a number question ("120")."""
    message = update.effective_message
    assert message is not None
    reader = reader_for(context, actor)
    try:
        step = await feedback.answer_question(
            context.db,
            actor,
            int(flow.data["response_id"]),
            int(flow.data["question_id"]),
            number_text=message.text or "",
            now=context.clock.now(),
        )
    except FeedbackClosed as exc:
        await flows.end_flow(context.db, actor.telegram_id)
        raise _closed(reader, exc) from None
    await flows.end_flow(context.db, actor.telegram_id)
    text, keyboard = views.step_message(reader, step)
    await send(update, context, text, keyboard)


async def step_comment(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    """The comment: text, or a photo with an optional caption."""
    message = update.effective_message
    assert message is not None
    reader = reader_for(context, actor)
    photo = message.photo[-1].file_id if message.photo else None
    try:
        step = await feedback.comment(
            context.db,
            actor,
            int(flow.data["response_id"]),
            message.text or message.caption,
            photo_file_id=photo,
            now=context.clock.now(),
        )
    except FeedbackClosed as exc:
        await flows.end_flow(context.db, actor.telegram_id)
        raise _closed(reader, exc) from None
    await flows.end_flow(context.db, actor.telegram_id)
    text, keyboard = views.step_message(reader, step)
    await send(update, context, [reader.t("feedback.comment_saved"), text], keyboard)


# ---- reading results --------------------------------------------------------------------------
def _subject(word: str) -> tuple[bool, int] | None:
    """`12`, `e12`, `event:12` → (event, 12); `s7`, `shift 7` → (shift, 7)."""
    w = word.lower().replace(":", "")
    for prefix, is_event in (
        ("event", True),
        ("acara", True),
        ("e", True),
        ("shift", False),
        ("s", False),
    ):
        if w.startswith(prefix) and w[len(prefix) :].isdigit():
            return is_event, int(w[len(prefix) :])
    return (True, int(w)) if w.isdigit() and len(w) <= 18 else None


async def _show_results(
    update: Update,
    context: GotongContext,
    actor: Actor,
    is_event: bool,
    subject_id: int,
    page: int = 0,
) -> None:
    results = await feedback_scores.round_results(
        context.db,
        actor,
        event_id=subject_id if is_event else None,
        shift_id=None if is_event else subject_id,
        page=page,
    )
    reader = reader_for(context, actor)
    text = views.results_text(reader, results)
    await edit_or_send(update, context, text, views.results_keyboard(reader, results))


@pressed(views.ViewResults, Permission.VOLUNTEER)
async def cb_feedback_results(
    update: Update, context: GotongContext, actor: Actor, data: views.ViewResults
) -> None:
    """One round's results, from /feedback's list (the service re-checks who may read)."""
    await _query(update).answer()
    with _refusals(reader_for(context, actor)):
        await _show_results(
            update, context, actor, data.subject == views.Subject.EVENT, data.subject_id
        )


@pressed(views.ResultsPage, Permission.VOLUNTEER)
async def cb_feedback_page(
    update: Update, context: GotongContext, actor: Actor, data: views.ResultsPage
) -> None:
    """Another page of a round's comments, in place."""
    await _query(update).answer()
    with _refusals(reader_for(context, actor)):
        await _show_results(
            update, context, actor, data.subject == views.Subject.EVENT, data.subject_id, data.page
        )


@guarded(Permission.VIEW_SUMMARY)
async def cmd_feedback(update: Update, context: GotongContext, actor: Actor) -> None:
    """Recent ratings; `/feedback 12` one event's results and comments; questions for an event."""
    args = list(context.args or [])
    reader = reader_for(context, actor)
    now = context.clock.now()
    if args and args[0].lower() in QUESTION_WORDS:
        await _questions(update, context, actor, args[1:])
        return
    if args:
        subject = _subject(args[0])
        if subject is None:
            await send(update, context, reader.t("feedback.usage"))
            return
        await _show_results(update, context, actor, subject[0], subject[1])
        return
    found = await feedback_scores.recent_rounds(context.db, actor, now=now)
    if not found:
        await send(update, context, [reader.t("feedback.list_empty"), reader.t("feedback.usage")])
        return
    lines, buttons = views.recent_message(reader, found)
    await send(update, context, lines, buttons)


async def _questions(update: Update, context: GotongContext, actor: Actor, args: list[str]) -> None:
    """`/feedback question 12 number How many?` · `... choice Venue? | good | bad` · `... off`."""
    reader = reader_for(context, actor)
    event_id = int_arg(args[0]) if args else None
    if event_id is None or len(args) < 2:
        await send(update, context, reader.t("feedback.question_usage"))
        return
    if args[1].lower() in OFF_WORDS:
        result = await feedback.clear_questions(context.db, actor, event_id)
        await send(
            update, context, reader.t("feedback.questions_cleared", title=result.event_title)
        )
        return
    result = await feedback.set_question(
        context.db, actor, event_id, args[1], " ".join(args[2:]), now=context.clock.now()
    )
    await send(update, context, views.questions_lines(reader, result))


# ---- /report pdf and /summary A vs B -------------------------------------------------------
@guarded(Permission.VIEW_REPORT)
async def cmd_report_pdf(update: Update, context: GotongContext, actor: Actor) -> None:
    """The campaign report as a PDF in the reader's language (period, or A vs B)."""
    args = list(context.args or [])[1:]  # after "pdf"
    reader = reader_for(context, actor)
    report = await report_pdf.gather(
        context.db,
        actor,
        " ".join(args) or None,
        now=context.clock.now(),
        tz=context.settings.timezone,
        campaign=context.settings.campaign_name,
    )
    await send(update, context, pdf_views.pdf_working(reader, report))
    from bot.views.report_pdf import build_pdf  # fpdf2 and its font load with the first PDF

    content = await build_pdf(report, reader)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        document=InputFile(content, filename=report_pdf.file_name(report)),
        caption=pdf_views.pdf_caption(reader, report),
    )


@guarded(Permission.VIEW_SUMMARY)
async def cmd_summary_compare(update: Update, context: GotongContext, actor: Actor) -> None:
    """Two teams or two periods side by side: `/summary Jaksel vs Jaktim`."""
    reader = reader_for(context, actor)
    result = await report_pdf.compare(
        context.db,
        actor,
        " ".join(context.args or []),
        now=context.clock.now(),
        tz=context.settings.timezone,
    )
    await send(update, context, pdf_views.compare_lines(reader, result))


# ---- the job ----------------------------------------------------------------------------------
async def job_ask_feedback(context: GotongContext) -> None:
    """Opens feedback rounds for events and shifts whose attendance was judged."""
    asked = await feedback.ask_for_feedback(context.db, now=context.clock.now())
    if asked:
        log.info("feedback asks enqueued: %s", asked)


FEATURE = Feature(
    "feedback",
    handlers=[
        CommandHandler("feedback", cmd_feedback),
        CommandHandler("report", cmd_report_pdf, filters=PDF_COMMAND),
        CommandHandler("summary", cmd_summary_compare, filters=VS_COMMAND),
    ],
    buttons=[
        cb_feedback_rate,
        cb_feedback_choose,
        cb_feedback_skip,
        cb_feedback_number,
        cb_feedback_comment,
        cb_feedback_results,
        cb_feedback_page,
    ],
    commands=[CommandSpec("feedback", Permission.VIEW_SUMMARY)],
    flows={FLOW_NUMBER: step_number, FLOW_COMMENT: step_comment},
    jobs=[Every(ASK_JOB, job_ask_feedback, ASK_EVERY_SECONDS)],
    renderers=feedback_views.RENDERERS,
)
