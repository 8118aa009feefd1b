"""Team group chats, continued: `/groupdigest on|off` in the group, the "places left" job,
the morning digest job, and a group that became a supergroup (its link and posts move).

Works with privacy mode on: `/groupdigest@bot on` is addressed to the bot, and Telegram
delivers the migration's service messages to bots whatever the privacy mode.  Listed right
after `handlers.reach.groups` (`bot/features.py`).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from telegram import Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.commands import CommandSpec
from bot.config import Settings
from bot.context import AppState, GotongContext
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.reach import group_digest, group_moves, group_news
from bot.views import group_news as news_views
from handlers.common import reader_for, send
from handlers.feature import Daily, Every, Feature
from handlers.guard import guarded
from handlers.reach.autopilot import OFF_WORDS, ON_WORDS
from handlers.reach.groups import group_reader, in_group

log = logging.getLogger(__name__)

PLACES_LEFT_JOB = "groups.places-left"
PLACES_LEFT_INTERVAL = timedelta(minutes=1)
DIGEST_JOB = "groups.digest"
# A bot down at digest time posts it at start while the morning is still useful; the same
# hours are the job's grace for a late run (the key keeps it to one a day either way).
DIGEST_GRACE = timedelta(hours=4)
DIGEST_JOB_KWARGS = {"misfire_grace_time": int(DIGEST_GRACE.total_seconds()), "coalesce": True}


@guarded(Permission.MANAGE_TEAMS)
async def cmd_groupdigest(update: Update, context: GotongContext, actor: Actor) -> None:
    """In a linked group: turns the morning digest of the team's work on or off."""
    reader = reader_for(context, actor)
    if not in_group(update):
        await send(update, context, reader.t("groups.only_in_groups"))
        return
    word = (context.args or [""])[0].casefold()
    if word not in ON_WORDS | OFF_WORDS:
        await send(update, context, reader.t("groups.digest_usage",
                                             time=context.settings.group_digest_time))
        return
    chat = update.effective_chat
    assert chat is not None
    on = word in ON_WORDS
    team = await group_digest.set_digest(context.db, actor, chat.id, on, now=context.clock.now())
    key = "groups.digest_on" if on else "groups.digest_off"
    await send(update, context, group_reader(context).t(
        key, team=team, time=context.settings.group_digest_time))


async def on_migrate(update: Update, context: GotongContext) -> None:
    """The group became a supergroup: its link, queued posts and live posts move along
    (Telegram sends this in the old chat and, with `migrate_from_chat_id`, in the new)."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await group_moves.move_group(context.db, old, new, now=context.clock.now())


async def job_places_left(context: GotongContext) -> None:
    """Posts "2 places left" in the groups of shifts that came down to their last places."""
    count = await group_news.plan_places_left(context.db, context.settings,
                                              now=context.clock.now())
    if count:
        log.info("groups: %d 'places left' posts enqueued", count)


async def job_group_digest(context: GotongContext) -> None:
    """Each morning: the day's digest to every group that wants it."""
    count = await group_digest.enqueue_group_digests(
        context.db, now=context.clock.now(), tz=context.settings.timezone)
    log.info("groups: %d morning digests enqueued", count)


def _digest_time(settings: Settings) -> time:
    return settings.clock_setting("group_digest_time").replace(tzinfo=settings.tz)


_digest_time.__qualname__ = "settings.group_digest_time"  # what the dispatch table prints


def digest_missed(now: datetime, settings: Settings) -> bool:
    """Whether `now` lies in the few hours after today's digest time (campaign zone)."""
    local = now.astimezone(settings.tz)
    due = datetime.combine(local.date(), settings.clock_setting("group_digest_time"),
                           tzinfo=settings.tz)
    return due <= local < due + DIGEST_GRACE


async def catch_up_group_digest(state: AppState) -> None:
    """At start: the morning digest whose time passed while the bot was down."""
    settings, db = state.settings, state.sessionmaker
    if settings is None or db is None or not digest_missed(state.clock.now(), settings):
        return
    count = await group_digest.enqueue_group_digests(db, now=state.clock.now(),
                                                     tz=settings.timezone)
    log.info("groups: caught up on today's morning digest at start: %d enqueued", count)


async def follow_migrations(state: AppState) -> None:
    """At start: a send that bounces off a migrated group moves its link and posts too."""
    dispatcher, db = state.dispatcher, state.sessionmaker
    if dispatcher is None or db is None:
        return

    async def follow(old: int, new: int) -> None:
        await group_moves.move_group(db, old, new, now=state.clock.now())

    dispatcher.chat_moved.append(follow)


FEATURE = Feature(
    "group_news",
    handlers=[
        CommandHandler("groupdigest", cmd_groupdigest),
        MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate),
    ],
    commands=[CommandSpec("groupdigest", Permission.MANAGE_TEAMS, menu=False, group="people")],
    jobs=[
        Every(PLACES_LEFT_JOB, job_places_left, PLACES_LEFT_INTERVAL),
        Daily(DIGEST_JOB, job_group_digest, _digest_time, job_kwargs=DIGEST_JOB_KWARGS),
    ],
    on_start=[follow_migrations, catch_up_group_digest],
    renderers=news_views.RENDERERS,
)
