"""/broadcast and /broadcasts: compose, target, preview, send or schedule, cancel, follow up.

Composing is a DB-backed flow (the text may arrive on another replica or after a
restart); every later step is a typed button (`bot.views.broadcasts`) whose data names
the draft and is re-checked by the use cases (`bot.services.broadcasts`: who, which
draft, which audience, which state).  Each handler calls one use case and sends the
view's screen.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.delivery.quiet import QuietHours
from bot.errors import InvalidInput
from bot.services import broadcasts, flows
from bot.services.authz import Permission
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.timeparse import WhenParseError, parse_when
from bot.views import broadcasts as views
from bot.views import broadcasts_progress
from bot.views.broadcasts import (
    BackToKinds,
    CancelBroadcast,
    Failures,
    PickAudience,
    PickKind,
    Schedule,
    Screen,
    SendAnyway,
    SendMorning,
    SendNow,
)
from handlers.buttons import ButtonAction, pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.feature import Feature
from handlers.guard import StaleButton, guarded

log = logging.getLogger(__name__)

FLOW = "broadcast"
STEP_COMPOSE = "compose"
STEP_WHEN = "when"


def _quiet(context: GotongContext) -> QuietHours:
    start, end = context.settings.quiet_hours
    return QuietHours(start, end)


async def _show(update: Update, context: GotongContext, screen: Screen) -> None:
    """From a button: the pressed message becomes the screen; otherwise a new message."""
    assert isinstance(screen.text, str)
    await edit_or_send(update, context, screen.text, screen.keyboard)


async def _answer(update: Update) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()


async def _own_draft(context: GotongContext, actor: Actor, draft_id: int) -> broadcasts.Draft:
    """The draft a button names: only its author's, and only while it is a draft."""
    draft = await broadcasts.draft_view(context.db, actor, draft_id)
    if draft.status.value != "draft":
        raise StaleButton()
    return draft


# ---- composing ---------------------------------------------------------------------------
@guarded(Permission.BROADCAST)
async def cmd_broadcast(update: Update, context: GotongContext, actor: Actor) -> None:
    """Asks for the message to broadcast (text, or a photo/document with a caption)."""
    await flows.start_flow(
        context.db, actor.telegram_id, FLOW, STEP_COMPOSE, now=context.clock.now()
    )
    await send(update, context, reader_for(context, actor).t("broadcast.compose"))


async def on_flow_input(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    """Takes the composed message, or the time for a scheduled broadcast."""
    if flow.step == STEP_WHEN:
        await _on_when(update, context, actor, flow)
        return
    message = update.effective_message
    assert message is not None
    media_id, media_type = _media(message)
    text = (message.caption_html if media_id else message.text_html) or ""
    visible = len((message.caption if media_id else message.text) or "")
    if media_id is None and message.text is None:
        raise InvalidInput("broadcast.unsupported")
    draft = await broadcasts.create_draft(
        context.db,
        actor,
        text=text,
        visible_length=visible,
        media_file_id=media_id,
        media_type=media_type,
        now=context.clock.now(),
    )
    await flows.end_flow(context.db, actor.telegram_id)
    await _show_kinds(update, context, actor, draft.id)


def _media(message: Message) -> tuple[str | None, str | None]:
    if message.photo:
        return message.photo[-1].file_id, "photo"
    if message.document:
        return message.document.file_id, "document"
    return None, None


async def _show_kinds(update: Update, context: GotongContext, actor: Actor, draft_id: int) -> None:
    options = await broadcasts.offered_audiences(context.db, actor)
    await _show(update, context, views.kinds_screen(reader_for(context, actor), draft_id, options))


async def _on_when(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    draft_id = int(flow.data.get("id", 0))
    now = context.clock.now()
    try:
        when = parse_when(
            message.text or "", now=now, tz=context.settings.timezone, language=actor.language
        )
    except WhenParseError:
        raise InvalidInput("broadcast.schedule_unreadable") from None
    if when <= now:
        raise InvalidInput("broadcast.schedule_past")
    confirmed = await broadcasts.confirm(
        context.db,
        actor,
        draft_id,
        now=now,
        progress_chat_id=message.chat_id,
        progress_message_id=None,
        scheduled_at=when,
    )
    await flows.end_flow(context.db, actor.telegram_id)
    outlook = await broadcasts.quiet_outlook(
        context.db,
        actor,
        draft_id,
        at=when,
        quiet=_quiet(context),
        default_timezone=context.settings.timezone,
    )
    screen = views.scheduled_screen(reader_for(context, actor), confirmed, when, outlook)
    assert isinstance(screen.text, str)
    await send(update, context, screen.text, screen.keyboard)


# ---- buttons -----------------------------------------------------------------------------
@pressed(PickKind, Permission.BROADCAST)
async def cb_pick_kind(
    update: Update, context: GotongContext, actor: Actor, data: PickKind
) -> None:
    """An audience kind with choices ("A team…"): its options."""
    await _own_draft(context, actor, data.draft_id)
    await _answer(update)
    choices = await broadcasts.audience_choices(context.db, actor, data.kind)
    reader = reader_for(context, actor)
    await _show(update, context, views.choices_screen(reader, data.draft_id, data.kind, choices))


@pressed(PickAudience, Permission.BROADCAST)
async def cb_pick_audience(
    update: Update, context: GotongContext, actor: Actor, data: PickAudience
) -> None:
    """The audience: counts exactly who would receive it, and shows the preview."""
    await _answer(update)
    draft = await broadcasts.choose_audience(context.db, actor, data.draft_id, data.key)
    await _show(update, context, views.preview_screen(reader_for(context, actor), draft))


@pressed(BackToKinds, Permission.BROADCAST)
async def cb_back_to_kinds(
    update: Update, context: GotongContext, actor: Actor, data: BackToKinds
) -> None:
    await _answer(update)
    await _own_draft(context, actor, data.draft_id)
    await _show_kinds(update, context, actor, data.draft_id)


@pressed(SendNow, Permission.BROADCAST)
async def cb_send_now(update: Update, context: GotongContext, actor: Actor, data: SendNow) -> None:
    """Sends now, unless some recipients are in their quiet hours: then asks first."""
    outlook = await broadcasts.quiet_outlook(
        context.db,
        actor,
        data.draft_id,
        at=context.clock.now(),
        quiet=_quiet(context),
        default_timezone=context.settings.timezone,
    )
    if not outlook.held:
        await _send_now(update, context, actor, data.draft_id, hold=False)
        return
    await _answer(update)
    start, end = context.settings.quiet_hours
    reader = reader_for(context, actor)
    await _show(
        update, context, views.quiet_choice_screen(reader, data.draft_id, outlook, start, end)
    )


@pressed(SendAnyway, Permission.BROADCAST)
async def cb_send_anyway(
    update: Update, context: GotongContext, actor: Actor, data: SendAnyway
) -> None:
    await _send_now(update, context, actor, data.draft_id, hold=False)


@pressed(SendMorning, Permission.BROADCAST)
async def cb_send_morning(
    update: Update, context: GotongContext, actor: Actor, data: SendMorning
) -> None:
    await _send_now(update, context, actor, data.draft_id, hold=True)


async def _send_now(
    update: Update, context: GotongContext, actor: Actor, draft_id: int, *, hold: bool
) -> None:
    """Confirms the draft: everyone now, or (hold) those in quiet hours at its end."""
    query = update.callback_query
    assert query is not None and query.message is not None
    quiet_hold = (
        broadcasts.QuietHold(_quiet(context), context.settings.timezone) if hold else None
    )
    confirmed = await broadcasts.confirm(
        context.db,
        actor,
        draft_id,
        now=context.clock.now(),
        progress_chat_id=query.message.chat.id,
        progress_message_id=query.message.message_id,
        hold=quiet_hold,
    )
    await query.answer()
    await _show(update, context, views.started_screen(reader_for(context, actor), confirmed))
    _poke(context)


@pressed(Schedule, Permission.BROADCAST)
async def cb_schedule(update: Update, context: GotongContext, actor: Actor, data: Schedule) -> None:
    """Asks when; the answer arrives as the flow's next step."""
    draft = await _own_draft(context, actor, data.draft_id)
    if draft.audience is None:
        raise StaleButton()
    await flows.start_flow(
        context.db, actor.telegram_id, FLOW, STEP_WHEN, {"id": data.draft_id},
        now=context.clock.now(),
    )
    await _answer(update)
    await edit_or_send(update, context, views.ask_when_text(reader_for(context, actor)))


@pressed(CancelBroadcast, Permission.BROADCAST)
async def cb_cancel(
    update: Update, context: GotongContext, actor: Actor, data: CancelBroadcast
) -> None:
    """Cancels a draft, withdraws a scheduled one, stops a running one."""
    withdrawn = await broadcasts.cancel(context.db, actor, data.broadcast_id)
    await flows.end_flow(context.db, actor.telegram_id)
    await _answer(update)
    reader = reader_for(context, actor)
    await edit_or_send(update, context, views.cancelled_text(reader, data.broadcast_id, withdrawn))


@pressed(Failures, Permission.BROADCAST)
async def cb_failures(update: Update, context: GotongContext, actor: Actor, data: Failures) -> None:
    """A page of the people the broadcast did not reach, and why."""
    await _answer(update)
    page = await broadcasts.failures(context.db, actor, data.broadcast_id, data.offset)
    screen = views.failures_screen(reader_for(context, actor), page)
    await send(update, context, screen.text, screen.keyboard or None)


BUTTONS: list[ButtonAction[Any]] = [
    cb_pick_kind,
    cb_pick_audience,
    cb_back_to_kinds,
    cb_send_now,
    cb_send_anyway,
    cb_send_morning,
    cb_schedule,
    cb_cancel,
    cb_failures,
]


@guarded(Permission.BROADCAST)
async def cmd_broadcasts(update: Update, context: GotongContext, actor: Actor) -> None:
    """Lists recent broadcasts with their counts, and buttons to see who they failed for."""
    items = await broadcasts.recent(context.db, actor, now=context.clock.now())
    screen = views.recent_screen(reader_for(context, actor), items)
    await send(update, context, screen.text, screen.keyboard or None)


def _poke(context: GotongContext) -> None:
    """Wakes the outbox dispatcher: a confirmed broadcast starts now, not at the next tick."""
    dispatcher = context.state.dispatcher
    if dispatcher is not None:
        dispatcher.wake()


FEATURE = Feature(
    "broadcast",
    handlers=[
        CommandHandler("broadcast", cmd_broadcast),
        CommandHandler("broadcasts", cmd_broadcasts),
    ],
    buttons=BUTTONS,
    commands=[
        CommandSpec("broadcast", Permission.BROADCAST),
        CommandSpec("broadcasts", Permission.BROADCAST),
    ],
    flows={FLOW: on_flow_input},
    renderers=broadcasts_progress.RENDERERS,
)
