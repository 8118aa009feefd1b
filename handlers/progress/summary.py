"""Progress in chat: /summary with drill-down buttons, /goal and /goals, /report, digest jobs.

The report's charts and zip are CPU work (matplotlib, deflate): they run in a
worker thread so the bot keeps answering everyone else meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import Any

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.commands import CommandSpec, register
from bot.context import GotongContext
from bot.delivery import broadcasts
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.progress import digests, goals, report, summary
from bot.views import charts
from bot.views.render import Button, Reader, truncate
from handlers.common import button_rows, callback_args, edit_or_send, int_arg, reader_for, send
from handlers.guard import StaleButton, guarded

log = logging.getLogger(__name__)

CB_SUMMARY = "sum"
REMOVE_WORDS = {"off", "hapus", "remove", "delete"}
DAILY_JOB = "progress.digest.daily"
WEEKLY_JOB = "progress.digest.weekly"
# PTB's run_daily counts days from Sunday = 0.
PTB_WEEKDAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

register(
    CommandSpec("summary", Permission.VIEW_SUMMARY),
    CommandSpec("goals", Permission.VIEW_SUMMARY),
    CommandSpec("goal", Permission.MANAGE_GOALS),
    CommandSpec("report", Permission.VIEW_REPORT),
)


# ---- /summary --------------------------------------------------------------------------------
def _summary_keyboard(reader: Reader, s: summary.Summary, *, back: bool) -> list[list[Button]]:
    buttons = [
        Button(reader.t("progress.btn_team", name=truncate(name, 24)), f"{CB_SUMMARY}:t:{team_id}")
        for team_id, name in s.teams
    ]
    buttons += [
        Button(
            reader.t("progress.btn_event", title=truncate(title, 24)), f"{CB_SUMMARY}:e:{event_id}"
        )
        for event_id, title, _ in s.upcoming
    ]
    rows = button_rows(buttons)
    if back:
        rows.append([Button(reader.t("progress.back"), f"{CB_SUMMARY}:all:0")])
    return rows


@guarded(Permission.VIEW_SUMMARY)
async def cmd_summary(update: Update, context: GotongContext, actor: Actor) -> None:
    """The campaign (or the lead's team) on one screen, with buttons per team and event."""
    now = context.clock.now()
    result = await summary.campaign_summary(context.db, actor, now=now)
    reader = reader_for(context, actor)
    lines = summary.summary_lines(reader, result)
    held = await broadcasts.held_now(context.db, actor, now=now)
    if held.count and held.until is not None:  # nothing the coordinator sent is out of sight
        lines.append(
            reader.t(
                "broadcast.summary_held",
                until=reader.when(held.until),
                n=reader.number(held.count),
            )
        )
    await send(update, context, "\n".join(lines), _summary_keyboard(reader, result, back=False))


@guarded(Permission.VIEW_SUMMARY)
async def cb_summary(update: Update, context: GotongContext, actor: Actor) -> None:
    """A team's or an event's numbers in place of the summary; "back" returns to it."""
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, CB_SUMMARY, 2)
    ref = int_arg(args[1]) if args else None
    if args is None or ref is None:
        raise StaleButton()
    reader = reader_for(context, actor)
    now = context.clock.now()
    if args[0] == "t":
        result = await summary.team_summary(context.db, actor, ref, now=now)
        text = "\n".join(summary.summary_lines(reader, result))
        keyboard = _summary_keyboard(reader, result, back=True)
    elif args[0] == "e":
        detail = await summary.event_detail(context.db, actor, ref)
        text = "\n".join(summary.event_lines(reader, detail))
        keyboard = [[Button(reader.t("progress.back"), f"{CB_SUMMARY}:all:0")]]
    elif args[0] == "all":
        result = await summary.campaign_summary(context.db, actor, now=now)
        text = "\n".join(summary.summary_lines(reader, result))
        keyboard = _summary_keyboard(reader, result, back=False)
    else:
        raise StaleButton()
    await query.answer()
    await edit_or_send(update, context, text, keyboard)


# ---- goals ------------------------------------------------------------------------------------
def _goal_text(reader: Reader, progress: goals.GoalProgress) -> str:
    text = summary.goal_line(reader, progress)
    if progress.deadline is not None:
        last_day = progress.deadline - timedelta(minutes=1)
        text += "\n" + reader.t("progress.goal_deadline", date=reader.date(last_day))
    return text


@guarded(Permission.MANAGE_GOALS)
async def cmd_goal(update: Update, context: GotongContext, actor: Actor) -> None:
    """Sets or updates a target and shows where it stands; `/goal off doors` removes it."""
    args = list(context.args or [])
    reader = reader_for(context, actor)
    now = context.clock.now()
    if not args:
        await send(update, context, reader.t("progress.goal_usage"))
        return
    if args[0].lower() in REMOVE_WORDS and len(args) >= 2:
        metric = await goals.remove_goal(
            context.db, actor, args[1], " ".join(args[2:]) or None, now=now
        )
        await send(update, context, reader.t("progress.goal_removed", metric=metric))
        return
    result = await goals.set_goal(context.db, actor, args, now=now, tz=context.settings.timezone)
    title = reader.t("progress.goal_set" if result.created else "progress.goal_updated")
    await send(update, context, f"{title}\n{_goal_text(reader, result.progress)}")


@guarded(Permission.VIEW_SUMMARY)
async def cmd_goals(update: Update, context: GotongContext, actor: Actor) -> None:
    """Every visible goal with a bar, the percentage and the pace needed."""
    found = await goals.list_goals(context.db, actor, now=context.clock.now())
    reader = reader_for(context, actor)
    if not found:
        await send(update, context, reader.t("progress.goals_empty"))
        return
    await send(
        update,
        context,
        [reader.t("progress.goals_list_title"), *(_goal_text(reader, g) for g in found)],
    )


# ---- /report ----------------------------------------------------------------------------------
@guarded(Permission.VIEW_REPORT)
async def cmd_report(update: Update, context: GotongContext, actor: Actor) -> None:
    """Charts (PNG) and a zip of CSVs for a period; a friendly note when there is no data."""
    period = " ".join(context.args or []) or None
    data = await report.campaign_report(
        context.db, actor, period, now=context.clock.now(), tz=context.settings.timezone
    )
    reader = reader_for(context, actor)
    if data.is_empty:
        await send(update, context, reader.t("progress.report_empty"))
        return
    last_day = data.end - timedelta(microseconds=1)
    await send(
        update,
        context,
        reader.t(
            "progress.report_working", start=reader.date(data.start), end=reader.date(last_day)
        ),
    )
    chat = update.effective_chat
    assert chat is not None
    images = await asyncio.to_thread(charts.report_charts, reader, data)
    for image in images:
        await context.bot.send_photo(chat.id, photo=image.png, caption=image.caption[:1024])
    bundle = await report.export_bundle(context.db, actor, data.start, data.end)
    name = report.bundle_filename(data.start, data.end, context.settings.timezone)
    await context.bot.send_document(
        chat.id,
        document=InputFile(bundle, filename=name),
        caption=reader.t("progress.report_bundle"),
    )


# ---- digest jobs ------------------------------------------------------------------------------
async def job_daily_digest(context: GotongContext) -> None:
    """Enqueues today's digest for every lead, and milestone thank-yous."""
    now = context.clock.now()
    tz = context.settings.timezone
    count = await digests.enqueue_daily_digests(context.db, now=now, tz=tz)
    thanks = await digests.enqueue_milestones(context.db, now=now)
    log.info("daily digests enqueued: %s, milestones: %s", count, thanks)


async def job_weekly_digest(context: GotongContext) -> None:
    """Enqueues this week's digest for every coordinator."""
    count = await digests.enqueue_weekly_digests(
        context.db, now=context.clock.now(), tz=context.settings.timezone
    )
    log.info("weekly digests enqueued: %s", count)


# A digest may run this late: after a restart, a stalled loop or a suspended host.  APScheduler's
# default grace (1 s) silently dropped the day's digest; later than this it is stale.
DIGEST_GRACE = timedelta(hours=6)
# Jobs live in memory, so a bot (re)started just after the digest minute would schedule the
# next one for tomorrow: `missed_digests` catches up at start.  Digests are deduplicated per
# person and day/week in the outbox, so catching up after one was sent sends nothing twice.
DIGEST_JOB_KWARGS = {"misfire_grace_time": int(DIGEST_GRACE.total_seconds()), "coalesce": True}


def missed_digests(now: datetime, settings: Any) -> tuple[bool, bool]:
    """(daily, weekly): whether that digest's time passed today within `DIGEST_GRACE`."""
    local = now.astimezone(settings.tz)

    def missed(at: time) -> bool:
        due = datetime.combine(local.date(), at, tzinfo=settings.tz)
        return due <= local < due + DIGEST_GRACE

    daily = missed(settings.clock_setting("daily_digest_time"))
    weekly_day = local.strftime("%a").lower() == settings.weekly_digest_day
    weekly = weekly_day and missed(settings.clock_setting("weekly_digest_time"))
    return daily, weekly


async def schedule_digests(app: Any) -> None:
    """Startup hook: the two digest jobs, at the configured local times (names are fixed),
    and the digest whose minute passed while the bot was down."""
    settings = app.bot_data.settings
    if app.job_queue is None or settings is None:
        return
    daily = settings.clock_setting("daily_digest_time").replace(tzinfo=settings.tz)
    weekly = settings.clock_setting("weekly_digest_time").replace(tzinfo=settings.tz)
    for name in (DAILY_JOB, WEEKLY_JOB):
        for job in app.job_queue.get_jobs_by_name(name):
            job.schedule_removal()
    app.job_queue.run_daily(job_daily_digest, daily, name=DAILY_JOB, job_kwargs=DIGEST_JOB_KWARGS)
    app.job_queue.run_daily(
        job_weekly_digest,
        weekly,
        days=(PTB_WEEKDAYS[settings.weekly_digest_day],),
        name=WEEKLY_JOB,
        job_kwargs=DIGEST_JOB_KWARGS,
    )
    now, db, tz = app.bot_data.clock.now(), app.bot_data.sessionmaker, settings.timezone
    missed_daily, missed_weekly = missed_digests(now, settings)
    if missed_daily:
        count = await digests.enqueue_daily_digests(db, now=now, tz=tz)
        log.info("caught up on today's daily digest at start: %s enqueued", count)
    if missed_weekly:
        count = await digests.enqueue_weekly_digests(db, now=now, tz=tz)
        log.info("caught up on this week's digest at start: %s enqueued", count)


def _register_hook() -> None:
    from bot.app import STARTUP_HOOKS

    if schedule_digests not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(schedule_digests)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    _register_hook()
    return [
        CommandHandler("summary", cmd_summary),
        CommandHandler("goal", cmd_goal),
        CommandHandler("goals", cmd_goals),
        CommandHandler("report", cmd_report),
        CallbackQueryHandler(cb_summary, pattern=rf"^{CB_SUMMARY}:"),
    ]
