"""/broadcast and /broadcasts, plus the outbox dispatcher's job and its start-up wiring.

Composing is a DB-backed flow (the text may arrive on another replica or after a
restart); every later step is a button whose callback data names the draft and is
re-checked by `bot.delivery.broadcasts` (who, which draft, which audience, which state).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.commands import CommandSpec, register
from bot.context import GotongContext
from bot.delivery import broadcasts
from bot.delivery.broadcasts import CALLBACK_PREFIX, Draft
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.quiet import QuietHours
from bot.delivery.sender import PtbTransport
from bot.errors import InvalidInput
from bot.services import flows
from bot.services.authz import Permission
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.timeparse import WhenParseError, parse_when
from bot.views.i18n import Html
from bot.views.render import Button, Reader, to_plain, truncate
from handlers.common import button_rows, edit_or_send, int_arg, reader_for, send
from handlers.flows import register_flow
from handlers.guard import StaleButton, guarded

log = logging.getLogger(__name__)

FLOW = "broadcast"
STEP_COMPOSE = "compose"
STEP_WHEN = "when"
JOB_NAME = "outbox-dispatch"
DISPATCHER_KEY = "dispatcher"
PREVIEW_TEXT_LIMIT = 3000  # the preview adds a header; the whole must fit 4096
NO_ARG = "-"

register(
    CommandSpec("broadcast", Permission.BROADCAST),
    CommandSpec("broadcasts", Permission.BROADCAST),
)


def audience_label(reader: Reader, label_key: str | None, name: str, kind: str = "") -> str:
    """'Team Jaksel', 'Role: volunteer' in the reader's words."""
    if label_key is None:
        return "?"
    if kind == "role" and reader.i18n.has(f"role.{name}"):
        name = reader.t(f"role.{name}")
    return reader.t(label_key, name=name)


def _kind_button_label(reader: Reader, label_key: str) -> str:
    # Kinds with choices have a "pick" label ("A team…"); others read as they are.
    if reader.i18n.has(f"{label_key}_pick"):
        return reader.t(f"{label_key}_pick")
    return reader.t(label_key, name="…")


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
    reader = reader_for(context, actor)
    buttons = [
        Button(
            _kind_button_label(reader, option.label_key),
            f"{CALLBACK_PREFIX}:k:{draft_id}:{option.kind}"
            if option.has_choices
            else f"{CALLBACK_PREFIX}:a:{draft_id}:{option.kind}:{NO_ARG}",
        )
        for option in await broadcasts.offered_audiences(context.db, actor)
    ]
    rows = button_rows(buttons)
    rows.append([Button(reader.t("broadcast.button_cancel"), f"{CALLBACK_PREFIX}:x:{draft_id}")])
    await edit_or_send(update, context, reader.t("broadcast.choose_audience"), rows)


async def _show_choices(
    update: Update, context: GotongContext, actor: Actor, draft_id: int, kind: str
) -> None:
    reader = reader_for(context, actor)
    choices = await broadcasts.audience_choices(context.db, actor, kind)
    spec_label = next(o.label_key for o in broadcasts.audience_options(actor) if o.kind == kind)
    buttons = [
        Button(
            truncate(to_plain(audience_label(reader, spec_label, label, kind)), 40),
            f"{CALLBACK_PREFIX}:a:{draft_id}:{kind}:{arg}",
        )
        for arg, label in choices
        if len(f"{CALLBACK_PREFIX}:a:{draft_id}:{kind}:{arg}".encode()) <= 64
    ]
    rows = button_rows(buttons)
    rows.append([Button(reader.t("broadcast.button_back"), f"{CALLBACK_PREFIX}:b:{draft_id}")])
    key = "broadcast.choose_option" if buttons else "broadcast.no_options"
    await edit_or_send(update, context, reader.t(key), rows)


def _preview_text(reader: Reader, draft: Draft) -> str:
    kind = (draft.audience or "").partition(":")[0]
    # Too long to show whole: its start as plain text, escaped again by the catalog.
    body = Html(draft.text) if len(draft.text) <= PREVIEW_TEXT_LIMIT else truncate(
        to_plain(draft.text), PREVIEW_TEXT_LIMIT
    )
    media = reader.t(f"broadcast.media_{draft.media_type}") if draft.media_type else ""
    return reader.t(
        "broadcast.preview",
        text=body,
        media=media,
        audience=audience_label(reader, draft.audience_label_key, draft.audience_name, kind),
        count=reader.number(draft.count),
    )


async def _show_preview(
    update: Update, context: GotongContext, actor: Actor, draft_id: int, key: str
) -> None:
    reader = reader_for(context, actor)
    draft = await broadcasts.choose_audience(context.db, actor, draft_id, key)
    back = [Button(reader.t("broadcast.button_back"), f"{CALLBACK_PREFIX}:b:{draft_id}")]
    if draft.count == 0:
        await edit_or_send(update, context, reader.t("broadcast.nobody"), [back])
        return
    rows = [
        [
            Button(reader.t("broadcast.button_send"), f"{CALLBACK_PREFIX}:go:{draft_id}"),
            Button(reader.t("broadcast.button_schedule"), f"{CALLBACK_PREFIX}:s:{draft_id}"),
        ],
        [back[0], Button(reader.t("broadcast.button_cancel"), f"{CALLBACK_PREFIX}:x:{draft_id}")],
    ]
    await edit_or_send(update, context, _preview_text(reader, draft), rows)


async def _on_when(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    reader = reader_for(context, actor)
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
    text = reader.t(
        "broadcast.scheduled",
        id=confirmed.id,
        when=reader.when(when),
        count=reader.number(confirmed.total),
    )
    if outlook.held:
        text += "\n" + reader.t("broadcast.scheduled_quiet", held=reader.number(outlook.held))
    await send(
        update,
        context,
        text,
        [[Button(reader.t("broadcast.button_cancel"), f"{CALLBACK_PREFIX}:x:{confirmed.id}")]],
    )


# ---- buttons -----------------------------------------------------------------------------
@guarded(Permission.BROADCAST)
async def cb_broadcast(update: Update, context: GotongContext, actor: Actor) -> None:
    """Audience, preview, send, schedule, cancel and failure-list buttons of a broadcast."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if len(parts) < 3 or parts[0] != CALLBACK_PREFIX or int_arg(parts[2]) is None:
        raise StaleButton()
    action, draft_id, rest = parts[1], int(parts[2]), parts[3:]
    reader = reader_for(context, actor)
    if action == "k" and len(rest) == 1:
        # The chooser names the draft: only its author, and only while it is a draft.
        view = await broadcasts.draft_view(context.db, actor, draft_id)
        if view.status.value != "draft":
            raise StaleButton()
        await query.answer()
        await _show_choices(update, context, actor, draft_id, rest[0])
    elif action == "a" and len(rest) == 2:
        await query.answer()
        key = rest[0] if rest[1] == NO_ARG else f"{rest[0]}:{rest[1]}"
        await _show_preview(update, context, actor, draft_id, key)
    elif action == "b" and not rest:
        await query.answer()
        view = await broadcasts.draft_view(context.db, actor, draft_id)
        if view.status.value != "draft":
            raise StaleButton()
        await _show_kinds(update, context, actor, draft_id)
    elif action in ("go", "gn", "gh") and not rest:
        if action == "go":
            outlook = await broadcasts.quiet_outlook(
                context.db,
                actor,
                draft_id,
                at=context.clock.now(),
                quiet=_quiet(context),
                default_timezone=context.settings.timezone,
            )
            if outlook.held:
                await query.answer()
                await _show_quiet_choice(update, context, reader, draft_id, outlook)
                return
        await _send_now(update, context, actor, reader, draft_id, hold=action == "gh")
    elif action == "s" and not rest:
        view = await broadcasts.draft_view(context.db, actor, draft_id)
        if view.status.value != "draft" or view.audience is None:
            raise StaleButton()
        await flows.start_flow(
            context.db, actor.telegram_id, FLOW, STEP_WHEN, {"id": draft_id},
            now=context.clock.now(),
        )
        await query.answer()
        await edit_or_send(update, context, reader.t("broadcast.ask_when"))
    elif action == "x" and not rest:
        withdrawn = await broadcasts.cancel(context.db, actor, draft_id)
        await flows.end_flow(context.db, actor.telegram_id)
        await query.answer()
        await edit_or_send(
            update,
            context,
            reader.t("broadcast.cancelled", id=draft_id, withdrawn=reader.number(withdrawn)),
        )
    elif action == "fail" and len(rest) == 1 and int_arg(rest[0]) is not None:
        await query.answer()
        await _show_failures(update, context, actor, draft_id, int(rest[0]))
    else:
        raise StaleButton()


def _quiet(context: GotongContext) -> QuietHours:
    start, end = context.settings.quiet_hours
    return QuietHours(start, end)


async def _show_quiet_choice(
    update: Update,
    context: GotongContext,
    reader: Reader,
    draft_id: int,
    outlook: broadcasts.QuietOutlook,
) -> None:
    """Some recipients are in their quiet hours: say so, and let the coordinator choose."""
    start, end = context.settings.quiet_hours
    assert outlook.until is not None
    text = reader.t(
        "broadcast.quiet_notice",
        held=reader.number(outlook.held),
        total=reader.number(outlook.total),
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        until=reader.when(outlook.until),
    )
    rows = [
        [Button(reader.t("broadcast.button_send_anyway"), f"{CALLBACK_PREFIX}:gn:{draft_id}")],
        [
            Button(
                reader.t("broadcast.button_send_morning", time=end.strftime("%H:%M")),
                f"{CALLBACK_PREFIX}:gh:{draft_id}",
            ),
            Button(reader.t("broadcast.button_schedule"), f"{CALLBACK_PREFIX}:s:{draft_id}"),
        ],
        [Button(reader.t("broadcast.button_cancel"), f"{CALLBACK_PREFIX}:x:{draft_id}")],
    ]
    await edit_or_send(update, context, text, rows)


async def _send_now(
    update: Update,
    context: GotongContext,
    actor: Actor,
    reader: Reader,
    draft_id: int,
    *,
    hold: bool,
) -> None:
    """Confirms the draft: everyone now, or (hold) those in quiet hours at its end."""
    query = update.callback_query
    assert query is not None and query.message is not None
    now = context.clock.now()
    quiet_hold = (
        broadcasts.QuietHold(_quiet(context), context.settings.timezone) if hold else None
    )
    confirmed = await broadcasts.confirm(
        context.db,
        actor,
        draft_id,
        now=now,
        progress_chat_id=query.message.chat.id,
        progress_message_id=query.message.message_id,
        hold=quiet_hold,
    )
    await query.answer()
    count = reader.number(confirmed.total)
    held = confirmed.held
    if held.count and held.until is not None:
        text = reader.t(
            "broadcast.started_held",
            id=confirmed.id,
            count=count,
            held=reader.number(held.count),
            until=reader.when(held.until),
        )
    else:
        text = reader.t("broadcast.started", id=confirmed.id, count=count)
    await edit_or_send(
        update,
        context,
        text,
        [[Button(reader.t("broadcast.button_stop"), f"{CALLBACK_PREFIX}:x:{draft_id}")]],
    )
    _poke(context)


async def _show_failures(
    update: Update, context: GotongContext, actor: Actor, broadcast_id: int, offset: int
) -> None:
    reader = reader_for(context, actor)
    page = await broadcasts.failures(context.db, actor, broadcast_id, offset)
    if page.total == 0:
        await send(update, context, reader.t("broadcast.no_failures", id=broadcast_id))
        return
    lines = [
        reader.t(
            "broadcast.failures_title",
            id=broadcast_id,
            first=offset + 1,
            last=offset + len(page.lines),
            total=page.total,
        )
    ]
    lines += [
        reader.t("broadcast.failure_line", name=line.name, reason=line.reason)
        for line in page.lines
    ]
    nav: list[Button] = []
    if offset > 0:
        prev = max(0, offset - broadcasts.FAILURES_PAGE)
        nav.append(Button("◀", f"{CALLBACK_PREFIX}:fail:{broadcast_id}:{prev}"))
    if offset + len(page.lines) < page.total:
        nxt = offset + len(page.lines)
        nav.append(Button("▶", f"{CALLBACK_PREFIX}:fail:{broadcast_id}:{nxt}"))
    await send(update, context, lines, [nav] if nav else None)


@guarded(Permission.BROADCAST)
async def cmd_broadcasts(update: Update, context: GotongContext, actor: Actor) -> None:
    """Lists recent broadcasts with their counts, and buttons to see who they failed for."""
    reader = reader_for(context, actor)
    items = await broadcasts.recent(context.db, actor, now=context.clock.now())
    if not items:
        await send(update, context, reader.t("broadcast.list_empty"))
        return
    lines = [reader.t("broadcast.list_title")]
    buttons: list[Button] = []
    for item in items:
        kind = ""
        lines.append(
            reader.t(
                "broadcast.list_line",
                id=item.id,
                when=reader.when(item.scheduled_at or item.created_at),
                status=reader.t(f"broadcast.status_{item.status.value}"),
                audience=audience_label(reader, item.audience_label_key, item.audience_name, kind),
                sent=reader.number(item.sent),
                failed=reader.number(item.failed),
                total=reader.number(item.total),
                excerpt=item.excerpt,
            )
        )
        if item.held.count and item.held.until is not None:
            lines[-1] += "\n" + reader.t(
                "broadcast.list_held",
                until=reader.when(item.held.until),
                n=reader.number(item.held.count),
            )
        if item.failed:
            buttons.append(
                Button(
                    reader.t("broadcast.button_failures_of", id=item.id),
                    f"{CALLBACK_PREFIX}:fail:{item.id}:0",
                )
            )
        if item.status.value in ("scheduled", "sending"):
            buttons.append(
                Button(
                    reader.t("broadcast.button_cancel_of", id=item.id),
                    f"{CALLBACK_PREFIX}:x:{item.id}",
                )
            )
    await send(update, context, lines, button_rows(buttons) or None)


# ---- the dispatcher ------------------------------------------------------------------------
def dispatcher_of(app: Any) -> Dispatcher | None:
    found = app.bot_data.extras.get(DISPATCHER_KEY)
    return found if isinstance(found, Dispatcher) else None


def _poke(context: GotongContext) -> None:
    dispatcher = context.state.extras.get(DISPATCHER_KEY)
    if isinstance(dispatcher, Dispatcher):
        dispatcher._refill.set()


async def job_dispatch_outbox(context: GotongContext) -> None:
    """Returns expired leases, keeps the senders fed, updates broadcast progress."""
    dispatcher = context.state.extras.get(DISPATCHER_KEY)
    if isinstance(dispatcher, Dispatcher):
        await dispatcher.tick()


async def start_delivery(app: Any) -> None:
    """Start-up hook: the dispatcher, its workers, the interactive meter and the job."""
    if dispatcher_of(app) is not None:
        return
    from bot.app import PACER_KEY

    state = app.bot_data
    dispatcher = Dispatcher(
        state.sessionmaker,
        PtbTransport(app.bot),
        state.settings,
        state.i18n,
        state.clock,
        pacer=state.extras[PACER_KEY],
    )
    state.extras[DISPATCHER_KEY] = dispatcher
    dispatcher.start()
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            job_dispatch_outbox,
            interval=state.settings.dispatch_interval_seconds,
            first=0.1,
            name=JOB_NAME,
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )


async def stop_delivery(app: Any) -> None:
    dispatcher = app.bot_data.extras.pop(DISPATCHER_KEY, None)
    if isinstance(dispatcher, Dispatcher):
        for job in app.job_queue.get_jobs_by_name(JOB_NAME) if app.job_queue else ():
            job.schedule_removal()
        await dispatcher.stop()


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    # Imported here: bot.app imports this module, so a top-level import would be circular.
    from bot.app import SHUTDOWN_HOOKS, STARTUP_HOOKS

    if start_delivery not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(start_delivery)
        SHUTDOWN_HOOKS.append(stop_delivery)
    return [
        CommandHandler("broadcast", cmd_broadcast),
        CommandHandler("broadcasts", cmd_broadcasts),
        CallbackQueryHandler(cb_broadcast, pattern=rf"^{CALLBACK_PREFIX}:"),
    ]


register_flow(FLOW, on_flow_input)

