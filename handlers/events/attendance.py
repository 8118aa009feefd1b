"""At the event and around it: QR check-in, the lead's check-in list, check-in by
location, the roster CSV, calendar files and the no-show sweep.  (Reliability on /me, events
and shifts together, is the progress area's /me section: bot.services.people.reliability.)
"""

from __future__ import annotations

from datetime import timedelta

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services import flows
from bot.services.authz import Permission
from bot.services.events import attendance, reading
from bot.services.events.messages import Timing
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.services.shifts import calendar
from bot.views import events as views
from bot.views import events_attendance as texts
from bot.views import qr
from bot.views.events_attendance import checked_in, checked_in_other, checkin_list
from handlers.buttons import pressed
from handlers.common import edit_or_send, int_arg, reader_for, send
from handlers.feature import Every, Feature
from handlers.guard import guarded

FLOW_LOCATION = "evcheckin"
SWEEP_JOB = "events-no-show-sweep"
SWEEP_EVERY_SECONDS = 600

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


async def _answer(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


# ---- QR and self check-in --------------------------------------------------------------
async def _send_qr(update: Update, context: GotongContext, actor: Actor, event_id: int) -> None:
    code = await attendance.checkin_code(context.db, actor, event_id)
    link, png = qr.checkin_qr(code, context.bot.username)
    await _answer(update)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(
        chat.id,
        InputFile(png, filename=f"checkin-event-{event_id}.png"),
        caption=texts.qr_caption(code.title, link, reader_for(context, actor)),
        parse_mode=ParseMode.HTML,
    )


@guarded(Permission.CHECK_IN_OTHERS)
async def cmd_qr(update: Update, context: GotongContext, actor: Actor) -> None:
    """Sends the event's check-in QR code as a picture to print or show."""
    await _send_qr(update, context, actor, _command_event_id(context, "qr"))


@pressed(views.ShowQr, Permission.CHECK_IN_OTHERS)
async def cb_qr(update: Update, context: GotongContext, actor: Actor, data: views.ShowQr) -> None:
    """🔳 on the event card: the check-in QR code."""
    await _send_qr(update, context, actor, data.event_id)


@guarded()
async def _checkin_from_link(update: Update, context: GotongContext, actor: Actor) -> None:
    token = (context.args or [""])[0].removeprefix(qr.CHECKIN_PREFIX)
    result = await attendance.check_in_by_token(
        context.db, actor, token, timing=_timing(context), now=context.clock.now()
    )
    await send(update, context, checked_in(result, reader_for(context, actor)))


async def deep_link_checkin(update: Update, context: GotongContext, token: str) -> None:
    """`/start checkin_<token>` from the QR: registers the person if new, then checks in."""
    await _checkin_from_link(update, context)


@pressed(views.CheckInHere, Permission.VOLUNTEER)
async def cb_location_start(
    update: Update, context: GotongContext, actor: Actor, data: views.CheckInHere
) -> None:
    """📍 on the card: asks the person to share their location to check in."""
    event_id = data.event_id
    view = await reading.get_event(context.db, actor, event_id)
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
        update, context, texts.send_location(view.title, reader_for(context, actor))
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
    await send(update, context, checked_in(result, reader_for(context, actor)))


# ---- the lead's list -------------------------------------------------------------------
async def _show_checkin_list(
    update: Update, context: GotongContext, actor: Actor, event_id: int
) -> None:
    roster = await attendance.roster(context.db, actor, event_id)
    out = checkin_list(roster, reader_for(context, actor))
    await edit_or_send(update, context, out.text, out.keyboard)


@guarded(Permission.CHECK_IN_OTHERS)
async def cmd_checkin(update: Update, context: GotongContext, actor: Actor) -> None:
    """The list of people answering Going/Maybe, one button each to check them in."""
    await _show_checkin_list(update, context, actor, _command_event_id(context, "checkin"))


@pressed(views.CheckinList, Permission.CHECK_IN_OTHERS)
async def cb_checkin_list(
    update: Update, context: GotongContext, actor: Actor, data: views.CheckinList
) -> None:
    """☑️ on the card: the check-in list."""
    await _answer(update)
    await _show_checkin_list(update, context, actor, data.event_id)


@pressed(views.CheckInPerson, Permission.CHECK_IN_OTHERS)
async def cb_checkin_person(
    update: Update, context: GotongContext, actor: Actor, data: views.CheckInPerson
) -> None:
    """Tapping a name checks that person in and refreshes the list."""
    query = update.callback_query
    assert query is not None
    result = await attendance.check_in_other(
        context.db, actor, data.rsvp_id, timing=_timing(context), now=context.clock.now()
    )
    await query.answer(checked_in_other(result, reader_for(context, actor)))
    await _show_checkin_list(update, context, actor, result.event_id)


@pressed(views.ShowUnconfirmed, Permission.CHECK_IN_OTHERS)
async def cb_unconfirmed(
    update: Update, context: GotongContext, actor: Actor, data: views.ShowUnconfirmed
) -> None:
    """🔔 on the card: who said Going and has not confirmed, at any time."""
    found = await attendance.unconfirmed(context.db, actor, data.event_id)
    await _answer(update)
    out = texts.unconfirmed_list(found, reader_for(context, actor))
    await edit_or_send(update, context, out.text, out.keyboard)


# ---- files -----------------------------------------------------------------------------
async def _send_roster(update: Update, context: GotongContext, actor: Actor, event_id: int) -> None:
    reader = reader_for(context, actor)
    roster = await attendance.roster_csv(context.db, actor, event_id)
    await _answer(update)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        InputFile(roster.data, filename=roster.filename),
        caption=texts.roster_caption(roster.title, reader),
        parse_mode=ParseMode.HTML,
    )


@guarded(Permission.CHECK_IN_OTHERS)
async def cmd_roster(update: Update, context: GotongContext, actor: Actor) -> None:
    """Sends the event's roster as a CSV file."""
    await _send_roster(update, context, actor, _command_event_id(context, "roster"))


@pressed(views.SendRoster, Permission.CHECK_IN_OTHERS)
async def cb_roster(
    update: Update, context: GotongContext, actor: Actor, data: views.SendRoster
) -> None:
    """📄 on the card: the roster CSV."""
    await _send_roster(update, context, actor, data.event_id)


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
        await send(update, context, texts.calendar_caption(0, reader))
        return
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        InputFile(data, filename="gotong.ics"),
        caption=texts.calendar_caption(count, reader),
        parse_mode=ParseMode.HTML,
    )


@pressed(views.EventCalendar, Permission.VOLUNTEER)
async def cb_event_ics(
    update: Update, context: GotongContext, actor: Actor, data: views.EventCalendar
) -> None:
    """📆 on a card: this event as an .ics file."""
    event_id = data.event_id
    filename, ics = await calendar.event_calendar(
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
        InputFile(ics, filename=filename),
        caption=texts.event_ics_caption(reader_for(context, actor)),
    )


# ---- jobs ------------------------------------------------------------------------------
async def job_sweep_no_shows(context: GotongContext) -> None:
    """Marks the no-shows of events that ended."""
    await attendance.sweep_no_shows(context.db, now=context.clock.now())


FEATURE = Feature(
    "attendance",
    handlers=[
        CommandHandler("qr", cmd_qr),
        CommandHandler("checkin", cmd_checkin),
        CommandHandler("roster", cmd_roster),
        CommandHandler("calendar", cmd_calendar),
    ],
    buttons=[
        cb_qr, cb_checkin_list, cb_checkin_person, cb_roster, cb_event_ics, cb_location_start,
        cb_unconfirmed,
    ],
    commands=[
        CommandSpec("calendar", Permission.VOLUNTEER),
        CommandSpec("qr", Permission.CHECK_IN_OTHERS, menu=False),
        CommandSpec("checkin", Permission.CHECK_IN_OTHERS, menu=False),
        CommandSpec("roster", Permission.CHECK_IN_OTHERS, menu=False),
    ],
    flows={FLOW_LOCATION: step_location},
    deep_links={qr.CHECKIN_PREFIX: deep_link_checkin},
    jobs=[Every(SWEEP_JOB, job_sweep_no_shows, SWEEP_EVERY_SECONDS, first=30)],
)
