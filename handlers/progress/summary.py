"""Progress in chat: /summary with drill-down buttons, /goal and /goals, /report, digest jobs.

The report's charts and zip are CPU work (matplotlib, deflate): they run in a
worker thread so the bot keeps answering everyone else meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from telegram import InputFile, Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.config import Settings
from bot.context import AppState, GotongContext
from bot.services import broadcasts
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.progress import digests, goals, report, report_export, summary
from bot.views import (
    charts,
    progress_digests,
)
from bot.views import progress as views
from bot.views.render import Button
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.feature import Daily, Feature
from handlers.guard import guarded

log = logging.getLogger(__name__)

REMOVE_WORDS = {"off", "hapus", "remove", "delete"}
DAILY_JOB = "progress.digest.daily"
WEEKLY_JOB = "progress.digest.weekly"
# PTB's run_daily counts days from Sunday = 0.
PTB_WEEKDAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


# ---- /summary --------------------------------------------------------------------------------
@guarded(Permission.VIEW_SUMMARY)
async def cmd_summary(update: Update, context: GotongContext, actor: Actor) -> None:
    """The campaign (or the lead's team) on one screen, with buttons per team and event."""
    now = context.clock.now()
    result = await summary.campaign_summary(context.db, actor, now=now)
    reader = reader_for(context, actor)
    lines = views.summary_lines(reader, result)
    held = await broadcasts.held_now(context.db, actor, now=now)
    if (note := views.held_line(reader, held.count, held.until)) is not None:
        lines.append(note)
    await send(
        update, context, "\n".join(lines), views.summary_keyboard(reader, result, back=False)
    )


@pressed(views.SummaryTeam, Permission.VIEW_SUMMARY)
async def cb_summary_team(
    update: Update, context: GotongContext, actor: Actor, data: views.SummaryTeam
) -> None:
    """A team's numbers in place of the summary, with "back"."""
    result = await summary.team_summary(context.db, actor, data.team_id, now=context.clock.now())
    reader = reader_for(context, actor)
    text = "\n".join(views.summary_lines(reader, result))
    await _answer_and_show(update, context, text, views.summary_keyboard(reader, result, back=True))


@pressed(views.SummaryEvent, Permission.VIEW_SUMMARY)
async def cb_summary_event(
    update: Update, context: GotongContext, actor: Actor, data: views.SummaryEvent
) -> None:
    """An event's attendance in place of the summary, with "back"."""
    detail = await summary.event_detail(context.db, actor, data.event_id)
    reader = reader_for(context, actor)
    text = "\n".join(views.event_lines(reader, detail))
    await _answer_and_show(update, context, text, views.back_keyboard(reader))


@pressed(views.SummaryAll, Permission.VIEW_SUMMARY)
async def cb_summary_all(
    update: Update, context: GotongContext, actor: Actor, data: views.SummaryAll
) -> None:
    """ "Back": the summary again, in place."""
    result = await summary.campaign_summary(context.db, actor, now=context.clock.now())
    reader = reader_for(context, actor)
    text = "\n".join(views.summary_lines(reader, result))
    await _answer_and_show(
        update, context, text, views.summary_keyboard(reader, result, back=False)
    )


async def _answer_and_show(
    update: Update, context: GotongContext, text: str, keyboard: list[list[Button]]
) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await edit_or_send(update, context, text, keyboard)


# ---- goals ------------------------------------------------------------------------------------
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
    await send(update, context, views.goal_set_text(reader, result))


@guarded(Permission.VIEW_SUMMARY)
async def cmd_goals(update: Update, context: GotongContext, actor: Actor) -> None:
    """Every visible goal with a bar, the percentage and the pace needed."""
    found = await goals.list_goals(context.db, actor, now=context.clock.now())
    reader = reader_for(context, actor)
    if not found:
        await send(update, context, reader.t("progress.goals_empty"))
        return
    await send(update, context, views.goals_lines(reader, found))


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
    await send(update, context, views.report_working(reader, data.start, data.end))
    chat = update.effective_chat
    assert chat is not None
    images = await asyncio.to_thread(charts.report_charts, reader, data)
    for image in images:
        await context.bot.send_photo(chat.id, photo=image.png, caption=image.caption[:1024])
    bundle = await report_export.export_bundle(context.db, actor, data.start, data.end)
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


def _digest_time(name: str) -> Callable[[Settings], time]:
    def at(settings: Settings) -> time:
        return settings.clock_setting(name).replace(tzinfo=settings.tz)

    at.__qualname__ = f"settings.{name}"  # what the dispatch table prints
    return at


def _weekly_day(settings: Settings) -> tuple[int, ...]:
    return (PTB_WEEKDAYS[settings.weekly_digest_day],)


async def catch_up_digests(state: AppState) -> None:
    """At start: the digest whose minute passed while the bot was down."""
    settings, db = state.settings, state.sessionmaker
    if settings is None or db is None:
        return
    now, tz = state.clock.now(), settings.timezone
    missed_daily, missed_weekly = missed_digests(now, settings)
    if missed_daily:
        count = await digests.enqueue_daily_digests(db, now=now, tz=tz)
        log.info("caught up on today's daily digest at start: %s enqueued", count)
    if missed_weekly:
        count = await digests.enqueue_weekly_digests(db, now=now, tz=tz)
        log.info("caught up on this week's digest at start: %s enqueued", count)


FEATURE = Feature(
    "progress",
    handlers=[
        CommandHandler("summary", cmd_summary),
        CommandHandler("goal", cmd_goal),
        CommandHandler("goals", cmd_goals),
        CommandHandler("report", cmd_report),
    ],
    buttons=[cb_summary_team, cb_summary_event, cb_summary_all],
    commands=[
        CommandSpec("summary", Permission.VIEW_SUMMARY),
        CommandSpec("goals", Permission.VIEW_SUMMARY),
        CommandSpec("goal", Permission.MANAGE_GOALS),
        CommandSpec("report", Permission.VIEW_REPORT),
    ],
    profile_sections=[views.ME_SECTION],
    jobs=[
        Daily(
            DAILY_JOB,
            job_daily_digest,
            _digest_time("daily_digest_time"),
            job_kwargs=DIGEST_JOB_KWARGS,
        ),
        Daily(
            WEEKLY_JOB,
            job_weekly_digest,
            _digest_time("weekly_digest_time"),
            days=_weekly_day,
            job_kwargs=DIGEST_JOB_KWARGS,
        ),
    ],
    on_start=[catch_up_digests],
    renderers=progress_digests.RENDERERS,
)
