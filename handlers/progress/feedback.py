"""Evaluating the campaign: rating buttons, comments, /feedback, /report pdf, /summary A vs B.

Registered before `handlers.progress.summary` in `bot.app.FEATURE_MODULES`: the `/report pdf ...`
and `/summary A vs B` handlers match only those forms, everything else falls through to
progress's own /report and /summary.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.commands import CommandSpec, register
from bot.context import GotongContext
from bot.errors import InvalidInput, NotFound
from bot.services import flows
from bot.services.authz import Permission
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.services.progress import feedback, report_pdf
from bot.services.progress.feedback import CB_FEEDBACK, FeedbackClosed, Step
from bot.views.render import Button, Reader, truncate
from handlers.common import callback_args, edit_or_send, int_arg, reader_for, send
from handlers.flows import register_flow
from handlers.guard import StaleButton, guarded

if TYPE_CHECKING:
    from bot.app import GotongApp

log = logging.getLogger(__name__)

FLOW_NUMBER = "feedback_number"
FLOW_COMMENT = "feedback_comment"
ASK_JOB = "feedback.ask"
ASK_EVERY_SECONDS = 300
QUESTION_WORDS = {"question", "questions", "tanya", "pertanyaan"}
OFF_WORDS = {"off", "hapus", "remove", "clear"}
PDF_COMMAND = filters.Regex(r"(?i)^/report(@\w+)?\s+pdf\b")
VS_COMMAND = filters.Regex(r"(?i)^/summary(@\w+)?\s+.+\s(vs\.?|versus|lawan|dibanding\w*)\s+\S")

register(CommandSpec("feedback", Permission.VIEW_SUMMARY))


def _closed(reader: Reader, exc: FeedbackClosed) -> InvalidInput:
    return InvalidInput("feedback.closed", closed=reader.when(exc.closes_at))


# ---- answering ------------------------------------------------------------------------------
async def _show_step(update: Update, context: GotongContext, reader: Reader, step: Step) -> None:
    text, keyboard = feedback.step_message(reader, step)
    await edit_or_send(update, context, text, keyboard)


@guarded(Permission.VOLUNTEER)
async def cb_feedback(update: Update, context: GotongContext, actor: Actor) -> None:
    """Stars, a choice, "skip", "type a number", "comment", or a results page."""
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    parts = data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    reader = reader_for(context, actor)
    now = context.clock.now()
    try:
        if action == "r":
            args = callback_args(data, f"{CB_FEEDBACK}:r", 2)
            rid, stars = (int_arg(args[0]), int_arg(args[1])) if args else (None, None)
            if rid is None or stars is None or not 1 <= stars <= 5:
                raise StaleButton()
            rated = await feedback.rate(context.db, actor, rid, stars, now=now)
            if rated.previous is None or rated.previous == stars:
                toast = reader.t("feedback.rated_toast", n=stars)
            else:
                toast = reader.t("feedback.rerated_toast", n=stars, before=rated.previous)
            await query.answer(toast)
            await _show_step(update, context, reader, rated.step)
        elif action in ("a", "s"):
            count = 3 if action == "a" else 2
            args = callback_args(data, f"{CB_FEEDBACK}:{action}", count)
            ids = [int_arg(a) for a in args] if args else []
            if not ids or any(i is None for i in ids):
                raise StaleButton()
            rid, qid = int(ids[0] or 0), int(ids[1] or 0)
            step = await feedback.answer_question(
                context.db,
                actor,
                rid,
                qid,
                choice=int(ids[2] or 0) if action == "a" else None,
                skip=action == "s",
                now=now,
            )
            await query.answer(reader.t("feedback.answer_toast"))
            await _show_step(update, context, reader, step)
        elif action == "n":
            args = callback_args(data, f"{CB_FEEDBACK}:n", 2)
            ids = [int_arg(a) for a in args] if args else []
            if not ids or any(i is None for i in ids):
                raise StaleButton()
            await feedback.step_of(context.db, actor, int(ids[0] or 0), now=now)
            await flows.start_flow(
                context.db,
                actor.telegram_id,
                FLOW_NUMBER,
                "number",
                {"response_id": ids[0], "question_id": ids[1]},
                now=now,
            )
            await query.answer()
            await send(update, context, reader.t("feedback.number_prompt"))
        elif action == "c":
            args = callback_args(data, f"{CB_FEEDBACK}:c", 1)
            rid = int_arg(args[0]) if args else None
            if rid is None:
                raise StaleButton()
            await feedback.step_of(context.db, actor, rid, now=now)
            await flows.start_flow(
                context.db,
                actor.telegram_id,
                FLOW_COMMENT,
                "comment",
                {"response_id": rid},
                now=now,
            )
            await query.answer()
            await send(update, context, reader.t("feedback.comment_prompt"))
        elif action in ("v", "p"):
            await _results_button(update, context, actor, data, action)
        else:
            raise StaleButton()
    except FeedbackClosed as exc:
        raise _closed(reader, exc) from None
    except NotFound:
        raise StaleButton() from None


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
    text, keyboard = feedback.step_message(reader, step)
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
    text, keyboard = feedback.step_message(reader, step)
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


def _results_keyboard(reader: Reader, r: feedback.RoundResults) -> list[list[Button]]:
    code = "e" if r.is_event else "s"
    row = []
    if r.page > 0:
        row.append(
            Button(
                reader.t("feedback.btn_prev"), f"{CB_FEEDBACK}:p:{code}:{r.subject_id}:{r.page - 1}"
            )
        )
    if r.page + 1 < r.pages:
        row.append(
            Button(
                reader.t("feedback.btn_next"), f"{CB_FEEDBACK}:p:{code}:{r.subject_id}:{r.page + 1}"
            )
        )
    return [row] if row else []


async def _show_results(
    update: Update,
    context: GotongContext,
    actor: Actor,
    is_event: bool,
    subject_id: int,
    page: int = 0,
) -> None:
    results = await feedback.round_results(
        context.db,
        actor,
        event_id=subject_id if is_event else None,
        shift_id=None if is_event else subject_id,
        page=page,
    )
    reader = reader_for(context, actor)
    lines = feedback.results_lines(reader, results)
    # One message (edited in place when paging): 5 comments of ≤ 600 characters fit.
    text = "\n".join(lines)
    if len(text) > 4000:
        text = text[:3990] + "…"
    await edit_or_send(update, context, text, _results_keyboard(reader, results))


async def _results_button(
    update: Update, context: GotongContext, actor: Actor, data: str, action: str
) -> None:
    count = 2 if action == "v" else 3
    args = callback_args(data, f"{CB_FEEDBACK}:{action}", count)
    if args is None or args[0] not in ("e", "s"):
        raise StaleButton()
    subject_id = int_arg(args[1])
    page = int_arg(args[2]) if action == "p" else 0
    if subject_id is None or page is None:
        raise StaleButton()
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _show_results(update, context, actor, args[0] == "e", subject_id, page)


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
    found = await feedback.recent_rounds(context.db, actor, now=now)
    if not found:
        await send(update, context, [reader.t("feedback.list_empty"), reader.t("feedback.usage")])
        return
    lines = [reader.t("feedback.list_title")]
    buttons = []
    for line in found:
        code = "e" if line.is_event else "s"
        lines.append(
            reader.t(
                "feedback.list_line",
                title=truncate(line.title, 60),
                when=reader.date(line.when),
                average=feedback.average_text(reader, line.scores),
                ratings=reader.number(line.scores.ratings),
                comments=reader.number(line.scores.comments),
                ref=f"{code}{line.subject_id}",
            )
        )
        buttons.append(
            [
                Button(
                    truncate(f"{line.title} · {reader.date(line.when)}", 60),
                    f"{CB_FEEDBACK}:v:{code}:{line.subject_id}",
                )
            ]
        )
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
    lines = [reader.t("feedback.questions_set", title=result.event_title)]
    for q in result.questions:
        kind = reader.t(f"feedback.kind_{q.kind.value}")
        extra = " · ".join(q.choices)
        lines.append(
            reader.t(
                "feedback.question_line", n=q.position, kind=kind, prompt=q.prompt, choices=extra
            )
        )
    await send(update, context, lines)


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
    last = report.end - timedelta(microseconds=1)
    await send(
        update,
        context,
        reader.t("feedback.pdf_working", start=reader.date(report.start), end=reader.date(last)),
    )
    content = await report_pdf.build_pdf(report, reader)
    chat = update.effective_chat
    assert chat is not None
    caption = reader.t(
        "feedback.pdf_caption_empty" if report.main.is_empty else "feedback.pdf_caption"
    )
    await context.bot.send_document(
        chat.id,
        document=InputFile(content, filename=report_pdf.file_name(report)),
        caption=caption[:1024],
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
    from bot.views.report_pdf import compare_values

    def period(span: tuple[Any, Any]) -> str:
        last = span[1] - timedelta(microseconds=1)
        return reader.t(
            "feedback.compare_period", start=reader.date(span[0]), end=reader.date(last)
        )

    if result.teams is not None:
        head = reader.t("feedback.compare_title", a=result.teams[0], b=result.teams[1])
        lines = [head, period(result.periods[0])]
    else:
        a, b = period(result.periods[0]), period(result.periods[1])
        lines = [reader.t("feedback.compare_title", a=a, b=b)]
    for row in result.rows:
        va, vb, diff = compare_values(reader, row)
        name = reader.i18n.raw(reader.lang, f"report_pdf.{row.key}")
        lines.append(reader.t("feedback.compare_line", name=name, a=va, b=vb, diff=diff))
    lines.append(reader.t("feedback.compare_hint"))
    await send(update, context, lines)


# ---- the job ----------------------------------------------------------------------------------
async def job_ask_feedback(context: GotongContext) -> None:
    """Opens feedback rounds for events and shifts whose attendance was judged."""
    asked = await feedback.ask_for_feedback(context.db, now=context.clock.now())
    if asked:
        log.info("feedback asks enqueued: %s", asked)


async def schedule_asks(app: GotongApp) -> None:
    if app.job_queue is None:
        return
    for job in app.job_queue.get_jobs_by_name(ASK_JOB):
        job.schedule_removal()
    app.job_queue.run_repeating(
        job_ask_feedback, interval=ASK_EVERY_SECONDS, first=ASK_EVERY_SECONDS, name=ASK_JOB
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    # Imported here: bot.app imports this module.
    from bot.app import STARTUP_HOOKS

    if schedule_asks not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(schedule_asks)
    register_flow(FLOW_NUMBER, step_number)
    register_flow(FLOW_COMMENT, step_comment)
    return [
        CommandHandler("feedback", cmd_feedback),
        CommandHandler("report", cmd_report_pdf, filters=PDF_COMMAND),
        CommandHandler("summary", cmd_summary_compare, filters=VS_COMMAND),
        CallbackQueryHandler(cb_feedback, pattern=rf"^{CB_FEEDBACK}:"),
    ]
