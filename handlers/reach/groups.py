"""Team group chats: /linkteam and /unlinkteam in a group, the bot being added or removed,
Claim / Going taps on the bot's own posts, and the job that keeps posts' fill level current.

Works with privacy mode on: the bot then sees only commands addressed to it
(`/linkteam@bot Jaksel`, which PTB's CommandHandler matches) and taps on its own posts.
Listed before the private-only flow router (`bot/features.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from telegram import ChatMember, Update
from telegram.ext import CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.delivery.sender import Blocked, Flood, Migrated, Rejected, Transient
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.reach import group_moves, groups, posts
from bot.views import groups as group_views
from bot.views.callbacks import CallbackData
from bot.views.group_news import post_for
from bot.views.groups import GroupClaim, GroupGoing, going_notice
from bot.views.i18n import normalize_language
from bot.views.render import Reader
from bot.views.shifts import shift_lines
from handlers.buttons import ButtonAction, pressed
from handlers.common import int_arg, reader_for, send
from handlers.feature import Every, Feature
from handlers.guard import StaleButton, guarded

log = logging.getLogger(__name__)
C = TypeVar("C", bound=CallbackData)

EDIT_JOB = "groups.post-edits"
EDIT_INTERVAL = timedelta(seconds=3)
DEEP_CLAIM = "gc_"  # /start gc_<shift id>: a stranger's tap on Claim, continued privately
DEEP_GOING = "gg_"  # /start gg_<event id>
MEMBER_STATES = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)

def in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in ("group", "supergroup")


def group_reader(context: GotongContext, language_code: str | None = None) -> Reader:
    """A group reads in the campaign's language; a stranger in their Telegram language."""
    settings = context.settings
    lang = normalize_language(language_code, settings.default_language) if language_code else (
        settings.default_language
    )
    return Reader(context.i18n, lang, settings.timezone, settings.currency, context.clock.now())


@guarded(Permission.MANAGE_TEAMS)
async def cmd_linkteam(update: Update, context: GotongContext, actor: Actor) -> None:
    """In a group: links it to a team (a lead of that team or a coordinator)."""
    reader = reader_for(context, actor)
    if not in_group(update):
        await send(update, context, reader.t("groups.only_in_groups"))
        return
    if not context.args:
        await send(update, context, reader.t("groups.usage"))
        return
    chat = update.effective_chat
    assert chat is not None
    link = await groups.link_group(context.db, actor, chat.id, chat.title or "",
                                   " ".join(context.args), now=context.clock.now())
    await send(update, context, group_reader(context).t("groups.linked", team=link.team_name))


@guarded(Permission.MANAGE_TEAMS)
async def cmd_unlinkteam(update: Update, context: GotongContext, actor: Actor) -> None:
    """In a group: unlinks it from its team; the bot stops posting there."""
    reader = reader_for(context, actor)
    if not in_group(update):
        await send(update, context, reader.t("groups.only_in_groups"))
        return
    chat = update.effective_chat
    assert chat is not None
    team = await groups.unlink_by(context.db, actor, chat.id)
    await send(update, context, group_reader(context).t("groups.unlinked", team=team))


async def on_my_chat_member(update: Update, context: GotongContext) -> None:
    """The bot was added to a group (it says what it can do) or removed (it unlinks)."""
    change = update.my_chat_member
    if change is None or change.chat.type not in ("group", "supergroup"):
        return
    was = change.old_chat_member.status in MEMBER_STATES
    now_in = change.new_chat_member.status in MEMBER_STATES
    if was and not now_in:
        if await groups.bot_left_group(context.db, change.chat.id):
            log.info("removed from group %s: unlinked", change.chat.id)
        return
    if now_in and not was:
        reader = group_reader(context)
        team = await groups.linked_team(context.db, change.chat.id)
        text = reader.t("groups.added_linked", team=team) if team else reader.t("groups.added")
        await context.bot.send_message(change.chat.id, text)


@dataclass(frozen=True, slots=True)
class StrangersGetALink(ButtonAction[C]):
    """A button on a group post: for the person who tapped, while a stranger (who never
    started the bot) is sent to a private chat with it by a deep link that continues there,
    never shown an error.  The check comes before the guard, which would register the
    stranger on first contact."""

    deep_link: str
    target: Callable[[Any], int]  # the id the deep link carries

    def handler(self) -> CallbackQueryHandler[GotongContext, None]:
        guarded_action = ButtonAction.handler(self)
        deep_link, target = self.deep_link, self.target

        async def run(update: Update, context: GotongContext) -> None:
            query, user = update.callback_query, update.effective_user
            if query is None or user is None:
                return
            if not await groups.known_person(context.db, user.id):
                reader = group_reader(context, user.language_code)
                payload = f"{deep_link}{target(self.kind.parse(query.data))}"
                await query.answer(reader.plain("groups.start_first"),
                                   url=f"https://t.me/{context.bot.username}?start={payload}")
                return
            await guarded_action.callback(update, context)

        run.__name__ = run.__qualname__ = self.name
        return CallbackQueryHandler(run, pattern=guarded_action.pattern)


def strangers_get_a_link(
    deep_link: str, target: Callable[[Any], int]
) -> Callable[[ButtonAction[C]], StrangersGetALink[C]]:
    def wrap(action: ButtonAction[C]) -> StrangersGetALink[C]:
        return StrangersGetALink(action.kind, action.permission, action.action, deep_link,
                                 target)

    return wrap


def _group_chat(update: Update) -> int:
    """The group the tapped post is in (a post in a private chat is no group post)."""
    query = update.callback_query
    message = query.message if query is not None else None
    if message is None or message.chat.id >= 0:
        raise StaleButton()
    return message.chat.id


@strangers_get_a_link(DEEP_CLAIM, lambda data: data.shift_id)
@pressed(GroupClaim, Permission.VOLUNTEER)
async def cb_group_claim(
    update: Update, context: GotongContext, actor: Actor, data: GroupClaim
) -> None:
    query = update.callback_query
    assert query is not None
    reader = reader_for(context, actor)
    result = await groups.claim_from_group(context.db, actor, _group_chat(update), data.shift_id,
                                           context.settings, now=context.clock.now())
    if result.full:
        await query.answer(reader.plain("groups.full_toast"), show_alert=True)
    else:
        await query.answer(reader.plain("groups.claimed_toast"))
    _wake(context.application)


@strangers_get_a_link(DEEP_GOING, lambda data: data.event_id)
@pressed(GroupGoing, Permission.VOLUNTEER)
async def cb_group_going(
    update: Update, context: GotongContext, actor: Actor, data: GroupGoing
) -> None:
    query = update.callback_query
    assert query is not None
    reader = reader_for(context, actor)
    changed = await groups.going_from_group(context.db, actor, _group_chat(update),
                                            data.event_id, context.settings,
                                            now=context.clock.now())
    await query.answer(reader.plain("groups.going_toast" if changed
                                    else "groups.already_going_toast"))
    _wake(context.application)


def _wake(app: Any) -> None:
    """The post shows the new fill level soon (coalesced with every other tap meanwhile)."""
    if app.job_queue is not None:
        app.job_queue.run_once(job_refresh_posts, when=0.5, name=f"{EDIT_JOB}-now")


# ---- a stranger's tap, continued in the private chat -----------------------------------
async def deep_link_claim(update: Update, context: GotongContext, payload: str) -> None:
    await _deep_claim(update, context)


async def deep_link_going(update: Update, context: GotongContext, payload: str) -> None:
    await _deep_going(update, context)


def _deep_target(context: GotongContext, prefix: str) -> int:
    payload = context.args[0] if context.args else ""
    target = int_arg(payload.removeprefix(prefix))
    if target is None:
        raise StaleButton()
    return target


@guarded(Permission.VOLUNTEER)
async def _deep_claim(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/start gc_<shift>`: the claim a stranger tapped in the group, made here."""
    from bot.services.shifts.claims import claim_shift

    reader = reader_for(context, actor)
    target = _deep_target(context, DEEP_CLAIM)
    result = await claim_shift(context.db, actor, target, context.settings,
                               now=context.clock.now())
    if result.full:
        await send(update, context, reader.t("groups.deep_full", title=result.shift.title))
    else:
        await send(update, context, reader.t("groups.deep_claimed") + "\n"
                   + shift_lines(reader, result.shift))
        _wake(context.application)


@guarded(Permission.VOLUNTEER)
async def _deep_going(update: Update, context: GotongContext, actor: Actor) -> None:
    from bot.services.events.events import Timing, rsvp
    from models import RsvpStatus

    reader = reader_for(context, actor)
    target = _deep_target(context, DEEP_GOING)
    result = await rsvp(context.db, actor, target, RsvpStatus.GOING,
                        timing=Timing.from_settings(context.settings), now=context.clock.now())
    view = result.event
    await send(update, context, going_notice(reader, view.title, view.starts_at, view.ends_at))
    _wake(context.application)


# ---- keeping posts' fill level current -------------------------------------------------
async def refresh_posts(app: Any, *, wait: bool = False) -> int:
    """Edits each post whose shift or event moved on to its newest state, at the group's
    pace (the one pacer: 20 per minute per group, edits count) and through the outbox's
    transport.  A group still cooling down is skipped: the next tick shows a fresher state
    anyway, so many taps cost one edit.  Returns how many posts now show their state."""
    state = app.bot_data
    dispatcher, pacer = state.dispatcher, state.pacer
    if dispatcher is None or pacer is None or state.sessionmaker is None or state.settings is None:
        return 0
    lock = state.group_posts_lock
    if lock.locked() and not wait:
        return 0
    async with lock:
        settings, db = state.settings, state.sessionmaker
        reader = Reader(state.i18n, settings.default_language, settings.timezone,
                        settings.currency, state.clock.now())
        shown: dict[int, str] = {}
        for edit in await posts.stale_posts(db, now=reader.now):
            if pacer.chat_ready_in(edit.chat_id) > 0:
                continue
            slot = await pacer.acquire(edit.chat_id)
            outgoing = post_for(reader, edit)
            try:
                await dispatcher.transport.edit(edit.chat_id, edit.message_id,
                                                outgoing.text, outgoing.keyboard)
            except Flood as exc:
                pacer.pause(exc.retry_after)
                break
            except Transient as exc:
                log.info("group post %d: edit failed (%s); next tick", edit.post_id, exc)
                continue
            except Blocked:  # the bot was removed mid-post: stop posting there
                await groups.bot_left_group(db, edit.chat_id)
                continue
            except Migrated as exc:  # a supergroup now: the link and live posts move there
                await group_moves.move_group(db, edit.chat_id, exc.new_chat_id, now=reader.now)
                continue
            except Rejected as exc:  # deleted by the group's admins: nothing to keep current
                log.info("group post %d cannot be edited: %s", edit.post_id, exc)
                shown[edit.post_id] = edit.state
            else:
                shown[edit.post_id] = edit.state
            finally:
                pacer.release(slot)
        await posts.mark_shown(db, shown)
        return len(shown)


async def job_refresh_posts(context: GotongContext) -> None:
    """Shows the newest fill level on group posts (coalesced, paced)."""
    await refresh_posts(context.application)


FEATURE = Feature(
    "groups",
    handlers=[
        CommandHandler("linkteam", cmd_linkteam),
        CommandHandler("unlinkteam", cmd_unlinkteam),
        ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
    ],
    buttons=[cb_group_claim, cb_group_going],
    commands=[
        CommandSpec("linkteam", Permission.MANAGE_TEAMS, menu=False, group="people"),
        CommandSpec("unlinkteam", Permission.MANAGE_TEAMS, menu=False, group="people"),
    ],
    deep_links={DEEP_CLAIM: deep_link_claim, DEEP_GOING: deep_link_going},
    jobs=[Every(EDIT_JOB, job_refresh_posts, EDIT_INTERVAL)],
    renderers=group_views.RENDERERS,
)
