"""At the event and around it: QR check-in, the lead's check-in list, check-in by
location, the roster CSV, calendar files and the no-show sweep.  (Reliability on /me, events
and shifts together, is the progress area's /me section: bot.services.people.reliability.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.commands import CommandSpec, register
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services import flows
from bot.services.authz import Permission
from bot.services.events import attendance, events
from bot.services.events.events import CB_EVENT, Timing
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.services.shifts import calendar
from bot.views import qr
from bot.views.render import Button
from handlers.common import button_rows, callback_args, edit_or_send, int_arg, reader_for, send
from handlers.flows import register_flow
from handlers.guard import StaleButton, guarded
from handlers.people.start import register_deep_link
from models import RsvpStatus

if TYPE_CHECKING:
    from bot.app import GotongApp

FLOW_LOCATION = "evcheckin"
SWEEP_JOB = "events-no-show-sweep"
SWEEP_EVERY_SECONDS = 600
MAX_LIST_BUTTONS = 60

register(
    CommandSpec("calendar", Permission.VOLUNTEER),
    CommandSpec("qr", Permission.CHECK_IN_OTHERS, menu=False),
    CommandSpec("checkin", Permission.CHECK_IN_OTHERS, menu=False),
    CommandSpec("roster", Permission.CHECK_IN_OTHERS, menu=False),
)


def _timing(context: GotongContext) -> Timing:
    return Timing.from_settings(context.settings)


def _alarm(context: GotongContext) -> timedelta:
    offsets = context.settings.event_reminder_offsets_hours or [2]
    return timedelta(hours=min(offsets))


def _command_event_id(context: GotongContext, command: str) -> int:
    args = context.args or []
    if len(args) != 1 or (event_id := int_arg(args[0].lstrip("#"))) is None:
        raise InvalidInput("events.id_usage", command=command)
    return event_id


def _button_event_id(update: Update, action: str) -> int:
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, f"{CB_EVENT}:{action}", 1)
    if args is None or (event_id := int_arg(args[0])) is None:
        raise StaleButton()
    return event_id


async def _answer(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


# ---- QR and self check-in --------------------------------------------------------------
async def _send_qr(update: Update, context: GotongContext, actor: Actor, event_id: int) -> None:
    title, link, png = await qr.event_checkin_qr(context.db, actor, event_id, context.bot.username)
    await _answer(update)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(
        chat.id,
        InputFile(png, filename=f"checkin-event-{event_id}.png"),
        caption=reader_for(context, actor).t("events.qr_caption", title=title, link=link),
        parse_mode=ParseMode.HTML,
    )


@guarded(Permission.CHECK_IN_OTHERS)
async def cmd_qr(update: Update, context: GotongContext, actor: Actor) -> None:
    """Sends the event's check-in QR code as a picture to print or show."""
    await _send_qr(update, context, actor, _command_event_id(context, "qr"))


@guarded(Permission.CHECK_IN_OTHERS)
async def cb_qr(update: Update, context: GotongContext, actor: Actor) -> None:
    """🔳 on the event card: the check-in QR code."""
    await _send_qr(update, context, actor, _button_event_id(update, "qr"))


@guarded()
async def _checkin_from_link(update: Update, context: GotongContext, actor: Actor) -> None:
    token = (context.args or [""])[0].removeprefix(qr.CHECKIN_PREFIX)
    result = await attendance.check_in_by_token(
        context.db, actor, token, timing=_timing(context), now=context.clock.now()
    )
    key = "events.already_checked_in" if result.already else "events.checked_in"
    await send(update, context, reader_for(context, actor).t(key, title=result.title))


async def deep_link_checkin(update: Update, context: GotongContext, token: str) -> None:
    """`/start checkin_<token>` from the QR: registers the person if new, then checks in."""
    await _checkin_from_link(update, context)


@guarded(Permission.VOLUNTEER)
async def cb_location_start(update: Update, context: GotongContext, actor: Actor) -> None:
    """📍 on the card: asks the person to share their location to check in."""
    event_id = _button_event_id(update, "loc")
    view = await events.get_event(context.db, actor, event_id)
    await flows.start_flow(
        context.db,
        actor.telegram_id,
        FLOW_LOCATION,
        "location",
        {"event_id": event_id},
        now=context.clock.now(),
        ttl=timedelta(minutes=30),
    )
    await _answer(update)
    await send(
        update, context, reader_for(context, actor).t("events.send_location", title=view.title)
    )


async def step_location(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    """A shared location checks the person in when they are within the event's radius."""
    message = update.effective_message
    assert message is not None
    if message.location is None:
        raise InvalidInput("events.bad_location")
    result = await attendance.check_in_by_location(
        context.db,
        actor,
        int(flow.data["event_id"]),
        message.location.latitude,
        message.location.longitude,
        timing=_timing(context),
        now=context.clock.now(),
    )
    await flows.end_flow(context.db, actor.telegram_id)
    key = "events.already_checked_in" if result.already else "events.checked_in"
    await send(update, context, reader_for(context, actor).t(key, title=result.title))


# ---- the lead's list -------------------------------------------------------------------
async def _show_checkin_list(
    update: Update, context: GotongContext, actor: Actor, event_id: int
) -> None:
    title, lines = await attendance.roster(context.db, actor, event_id)
    reader = reader_for(context, actor)
    people = [line for line in lines if line.status != RsvpStatus.DECLINED][:MAX_LIST_BUTTONS]
    if not people:
        await edit_or_send(update, context, reader.t("events.checkin_list_empty"))
        return
    buttons = [
        Button(("✅ " if p.checked_in else "⬜ ") + p.name[:28], f"{CB_EVENT}:ci:{p.rsvp_id}")
        for p in people
    ]
    text = reader.t("events.checkin_list_title", title=title)
    await edit_or_send(update, context, text, button_rows(buttons, 2))


@guarded(Permission.CHECK_IN_OTHERS)
async def cmd_checkin(update: Update, context: GotongContext, actor: Actor) -> None:
    """The list of people answering Going/Maybe, one button each to check them in."""
    await _show_checkin_list(update, context, actor, _command_event_id(context, "checkin"))


@guarded(Permission.CHECK_IN_OTHERS)
async def cb_checkin_list(update: Update, context: GotongContext, actor: Actor) -> None:
    """☑️ on the card: the check-in list."""
    event_id = _button_event_id(update, "cil")
    await _answer(update)
    await _show_checkin_list(update, context, actor, event_id)


@guarded(Permission.CHECK_IN_OTHERS)
async def cb_checkin_person(update: Update, context: GotongContext, actor: Actor) -> None:
    """Tapping a name checks that person in and refreshes the list."""
    query = update.callback_query
    assert query is not None
    rsvp_id = _button_event_id(update, "ci")
    result = await attendance.check_in_other(
        context.db, actor, rsvp_id, timing=_timing(context), now=context.clock.now()
    )
    reader = reader_for(context, actor)
    key = "events.already_checked_in_other" if result.already else "events.checked_in_other"
    await query.answer(reader.plain(key, name=result.person_name))
    await _show_checkin_list(update, context, actor, result.event_id)


# ---- files -----------------------------------------------------------------------------
async def _send_roster(update: Update, context: GotongContext, actor: Actor, event_id: int) -> None:
    reader = reader_for(context, actor)
    view = await events.get_event(context.db, actor, event_id)
    filename, data = await attendance.roster_csv(context.db, actor, event_id, reader)
    await _answer(update)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        InputFile(data, filename=filename),
        caption=reader.t("events.roster_caption", title=view.title),
        parse_mode=ParseMode.HTML,
    )


@guarded(Permission.CHECK_IN_OTHERS)
async def cmd_roster(update: Update, context: GotongContext, actor: Actor) -> None:
    """Sends the event's roster as a CSV file."""
    await _send_roster(update, context, actor, _command_event_id(context, "roster"))


@guarded(Permission.CHECK_IN_OTHERS)
async def cb_roster(update: Update, context: GotongContext, actor: Actor) -> None:
    """📄 on the card: the roster CSV."""
    await _send_roster(update, context, actor, _button_event_id(update, "csv"))


@guarded(Permission.VOLUNTEER)
async def cmd_calendar(update: Update, context: GotongContext, actor: Actor) -> None:
    """Sends an .ics file with my upcoming events and shifts."""
    reader = reader_for(context, actor)
    count, data = await calendar.my_calendar(
        context.db,
        actor,
        tz=actor.timezone or context.settings.timezone,
        alarm_before=_alarm(context),
        now=context.clock.now(),
    )
    if not count:
        await send(update, context, reader.t("events.calendar_empty"))
        return
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        InputFile(data, filename="gotong.ics"),
        caption=reader.t("events.calendar_caption", count=count),
        parse_mode=ParseMode.HTML,
    )


@guarded(Permission.VOLUNTEER)
async def cb_event_ics(update: Update, context: GotongContext, actor: Actor) -> None:
    """📆 on a card: this event as an .ics file."""
    event_id = _button_event_id(update, "ics")
    filename, data = await calendar.event_calendar(
        context.db,
        actor,
        event_id,
        tz=actor.timezone or context.settings.timezone,
        alarm_before=_alarm(context),
    )
    await _answer(update)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        InputFile(data, filename=filename),
        caption=reader_for(context, actor).t("events.event_ics_caption"),
    )


# ---- jobs ------------------------------------------------------------------------------
async def job_sweep_no_shows(context: GotongContext) -> None:
    """Marks the no-shows of events that ended."""
    await attendance.sweep_no_shows(context.db, now=context.clock.now())


async def _on_startup(app: GotongApp) -> None:
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            job_sweep_no_shows,
            interval=SWEEP_EVERY_SECONDS,
            first=30,
            name=SWEEP_JOB,
        )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg,unused-ignore]
    # Imported here: bot.app imports this module, so it is complete only by now.
    from bot.app import STARTUP_HOOKS

    if _on_startup not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(_on_startup)
    register_deep_link(qr.CHECKIN_PREFIX, deep_link_checkin)
    register_flow(FLOW_LOCATION, step_location)
    return [
        CommandHandler("qr", cmd_qr),
        CommandHandler("checkin", cmd_checkin),
        CommandHandler("roster", cmd_roster),
        CommandHandler("calendar", cmd_calendar),
        CallbackQueryHandler(cb_qr, pattern=rf"^{CB_EVENT}:qr:"),
        CallbackQueryHandler(cb_checkin_list, pattern=rf"^{CB_EVENT}:cil:"),
        CallbackQueryHandler(cb_checkin_person, pattern=rf"^{CB_EVENT}:ci:"),
        CallbackQueryHandler(cb_roster, pattern=rf"^{CB_EVENT}:csv:"),
        CallbackQueryHandler(cb_event_ics, pattern=rf"^{CB_EVENT}:ics:"),
        CallbackQueryHandler(cb_location_start, pattern=rf"^{CB_EVENT}:loc:"),
    ]
