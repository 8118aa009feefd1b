"""Events for coordinators and volunteers: create, list, card, invite, RSVP, edit, cancel.

The one-liner `/newevent Title | start | length | place | team | capacity` suits
power users; `/newevent` alone walks through the same fields one message at a
time (state in the database, so a restart mid-way loses nothing).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.commands import CommandSpec, register
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services import flows
from bot.services.authz import Permission
from bot.services.events import events
from bot.services.events.duties import RoleView
from bot.services.events.events import (
    CB_CONFIRM,
    CB_EVENT,
    CB_RSVP,
    RSVP_CODE_OF,
    RSVP_CODES,
    RSVP_ICON,
    EventDraft,
    EventView,
    Timing,
)
from bot.services.flows import Flow
from bot.services.people import teams
from bot.services.people.members import Actor
from bot.services.progress import feedback
from bot.timeparse import WhenParseError, describe_formats, parse_duration, parse_when
from bot.views.render import Button, Reader, truncate
from bot.views.shifts import CB_SHIFT
from handlers.common import callback_args, edit_or_send, int_arg, reader_for, send
from handlers.flows import register_flow
from handlers.guard import StaleButton, guarded

CB_LIST = "evl"  # evl:<g|m|d>:<event_id>: answer from /events, then show the list again
FLOW_NEW = "newevent"
ALL_WORDS = {"all", "semua", "everyone", "-", ""}
SKIP = {"-", "skip", "lewati", "tidak", "no", "none"}

register(
    CommandSpec("events", Permission.VOLUNTEER),
    CommandSpec("newevent", Permission.MANAGE_EVENTS),
    CommandSpec("editevent", Permission.MANAGE_EVENTS, menu=False),
    CommandSpec("cancelevent", Permission.MANAGE_EVENTS, menu=False),
)


def _timing(context: GotongContext) -> Timing:
    return Timing.from_settings(context.settings)


# ---- parsing (input → values; the service validates the rules) ------------------------
def _when(context: GotongContext, actor: Actor, text: str) -> datetime:
    try:
        return parse_when(
            text, now=context.clock.now(), tz=context.settings.timezone, language=actor.language
        )
    except WhenParseError:
        raise InvalidInput(
            "events.bad_when", text=text, examples=describe_formats(actor.language)
        ) from None


def _end(context: GotongContext, actor: Actor, start: datetime, text: str) -> datetime:
    try:
        return start + parse_duration(text)
    except WhenParseError:
        pass
    try:
        end = parse_when(
            text,
            now=start - timedelta(seconds=1),
            tz=context.settings.timezone,
            language=actor.language,
        )
    except WhenParseError:
        raise InvalidInput("events.bad_length", text=text) from None
    return end


def _capacity(text: str) -> int | None:
    text = text.strip().lower()
    if text in SKIP or not text:
        return None
    if not text.isdigit() or len(text) > 7:
        raise InvalidInput("events.bad_capacity", max=events.MAX_CAPACITY)
    return int(text)


async def _team(context: GotongContext, text: str) -> int | None:
    if text.strip().lower() in ALL_WORDS:
        return None
    return await teams.resolve_team_id(context.db, text)


async def _show_card(
    update: Update,
    context: GotongContext,
    actor: Actor,
    view: EventView,
    head: str = "",
    offers: tuple[RoleView, ...] = (),
) -> None:
    reader = reader_for(context, actor)
    lines = ([head] if head else []) + events.card_lines(view, reader, for_manager=view.can_manage)
    if view.can_manage:  # after the event: the people's rating (coordinators, the team's leads)
        scores = await feedback.event_scores(context.db, actor, view.id)
        if scores is not None:
            lines.append(feedback.event_line(reader, scores, view.id))
    offer_lines, offer_rows = _offer(offers, reader)
    keyboard = offer_rows + events.card_keyboard(view, reader)
    await edit_or_send(update, context, "\n".join(lines + offer_lines), keyboard)


def _offer(offers: tuple[RoleView, ...], reader: Reader) -> tuple[list[str], list[list[Button]]]:
    """"Want to help? Registration desk: 1 of 4 places left [✋ Registration desk]": the same
    claim button as /shifts, so the claim goes through the same service and rules."""
    if not offers:
        return [], []
    lines = ["", reader.t("event_roles.offer_intro")]
    rows: list[list[Button]] = []
    for role in offers:
        lines.append(
            reader.t(
                "event_roles.offer_line",
                title=role.title,
                when=reader.time_range(role.starts_at, role.ends_at),
                free=role.free,
                capacity=role.capacity,
            )
        )
        label = reader.t("event_roles.btn_offer", title=truncate(role.title, 40))
        rows.append([Button(label, f"{CB_SHIFT}:c:{role.shift_id}")])
    return lines, rows


# ---- create ----------------------------------------------------------------------------
@guarded(Permission.MANAGE_EVENTS)
async def cmd_newevent(update: Update, context: GotongContext, actor: Actor) -> None:
    """One line creates the event and shows its card; no arguments starts the questions."""
    reader = reader_for(context, actor)
    text = (update.effective_message.text or "") if update.effective_message else ""
    rest = text.partition(" ")[2].strip()
    if not rest:
        await flows.start_flow(
            context.db, actor.telegram_id, FLOW_NEW, "title", now=context.clock.now()
        )
        await send(update, context, reader.t("events.flow_title"))
        return
    parts = [p.strip() for p in rest.split("|")]
    if len(parts) < 3 or len(parts) > 6 or not parts[0]:
        raise InvalidInput("events.usage")
    parts += [""] * (6 - len(parts))
    title, start_text, length_text, place_text, team_text, capacity_text = parts
    start = _when(context, actor, start_text)
    end = _end(context, actor, start, length_text)
    place, coords = events.split_place(place_text) if place_text else (None, None)
    draft = EventDraft(
        title=title,
        starts_at=start,
        ends_at=end,
        place=place,
        latitude=coords[0] if coords else None,
        longitude=coords[1] if coords else None,
        team_id=await _team(context, team_text),
        capacity=_capacity(capacity_text),
    )
    view = await events.create_event(
        context.db, actor, draft, timing=_timing(context), now=context.clock.now()
    )
    await _show_card(update, context, actor, view, reader.t("events.created"))


NEXT_STEP = {
    "title": "start",
    "start": "length",
    "length": "place",
    "place": "location",
    "location": "team",
    "team": "capacity",
}


async def step_newevent(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    """Reads one answer of the new-event questions; bad answers ask again."""
    message = update.effective_message
    assert message is not None
    reader = reader_for(context, actor)
    text = (message.text or "").strip()
    data: dict[str, Any] = dict(flow.data)
    step = flow.step
    if step == "title":
        if not text:
            raise InvalidInput("events.title_empty")
        if len(text) > events.MAX_TITLE:
            raise InvalidInput("events.title_too_long", max=events.MAX_TITLE)
        data["title"] = text
    elif step == "start":
        start = _when(context, actor, text)
        if start <= context.clock.now():
            raise InvalidInput("events.start_in_past")
        data["start"] = start.isoformat()
    elif step == "length":
        start = datetime.fromisoformat(data["start"])
        end = _end(context, actor, start, text)
        if end <= start:
            raise InvalidInput("events.end_before_start")
        data["end"] = end.isoformat()
    elif step == "place":
        place, coords = (None, None) if text.lower() in SKIP else events.split_place(text)
        data["place"] = place
        if coords:
            data["lat"], data["lon"] = coords
    elif step == "location":
        if message.location is not None:
            data["lat"], data["lon"] = message.location.latitude, message.location.longitude
        elif text.lower() not in SKIP:
            coords = events.parse_coordinates(text)
            if coords is None:
                raise InvalidInput("events.bad_location")
            data["lat"], data["lon"] = coords
    elif step == "team":
        data["team_id"] = await _team(context, text)
    elif step == "capacity":
        capacity = _capacity(text)
        await flows.end_flow(context.db, actor.telegram_id)
        draft = EventDraft(
            title=data["title"],
            starts_at=datetime.fromisoformat(data["start"]),
            ends_at=datetime.fromisoformat(data["end"]),
            place=data.get("place"),
            latitude=data.get("lat"),
            longitude=data.get("lon"),
            team_id=data.get("team_id"),
            capacity=capacity,
        )
        view = await events.create_event(
            context.db, actor, draft, timing=_timing(context), now=context.clock.now()
        )
        await _show_card(update, context, actor, view, reader.t("events.created"))
        return
    nxt = NEXT_STEP[step]
    if nxt == "location" and "lat" in data:
        nxt = "team"  # the place already carried coordinates
    await flows.start_flow(
        context.db, actor.telegram_id, FLOW_NEW, nxt, data, now=context.clock.now()
    )
    key = f"events.flow_{nxt}"
    await send(update, context, reader.t(key, examples=describe_formats(actor.language)))


# ---- list and card ---------------------------------------------------------------------
def _list_keyboard(views: list[EventView], reader: Any) -> list[list[Button]]:
    rows: list[list[Button]] = []
    for n, v in enumerate(views, 1):
        row = [Button(f"📅 {n}", f"{CB_EVENT}:card:{v.id}")]
        for status, code in RSVP_CODE_OF.items():
            label = RSVP_ICON[status] if v.my_status != status else f"• {RSVP_ICON[status]}"
            row.append(Button(label, f"{CB_LIST}:{code}:{v.id}"))
        rows.append(row)
    return rows


async def _show_list(update: Update, context: GotongContext, actor: Actor) -> None:
    reader = reader_for(context, actor)
    views = await events.upcoming_events(context.db, actor, now=context.clock.now())
    if not views:
        await edit_or_send(update, context, reader.t("events.none"))
        return
    text = "\n".join(events.list_lines(views, reader))
    await edit_or_send(update, context, text, _list_keyboard(views, reader))


@guarded(Permission.VOLUNTEER)
async def cmd_events(update: Update, context: GotongContext, actor: Actor) -> None:
    """Upcoming events with my answer and one-tap buttons to change it."""
    await _show_list(update, context, actor)


def _event_id(update: Update, prefix: str, count: int = 1) -> list[str]:
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, prefix, count)
    if args is None or int_arg(args[-1] if count == 1 else args[0]) is None:
        raise StaleButton()
    return args


@guarded(Permission.VOLUNTEER)
async def cb_rsvp(update: Update, context: GotongContext, actor: Actor) -> None:
    """Going / Maybe / Can't: saves the answer and shows the card with it."""
    query = update.callback_query
    assert query is not None
    from_list = (query.data or "").startswith(CB_LIST + ":")
    args = callback_args(query.data, CB_LIST if from_list else CB_RSVP, 2)
    if args is None or args[0] not in RSVP_CODES or (event_id := int_arg(args[1])) is None:
        raise StaleButton()
    status = RSVP_CODES[args[0]]
    result = await events.rsvp(
        context.db, actor, event_id, status, timing=_timing(context), now=context.clock.now()
    )
    reader = reader_for(context, actor)
    toast = reader.plain(f"events.rsvp_saved_{status.value}", title=result.event.title)
    await query.answer(toast if result.changed else reader.plain("events.rsvp_same"))
    if from_list:
        await _show_list(update, context, actor)
        offer_lines, offer_rows = _offer(result.offers, reader)
        if offer_lines:  # the list stays a list; the offer comes as its own message
            await send(update, context, "\n".join(offer_lines[1:]), offer_rows)
    else:
        await _show_card(update, context, actor, result.event, offers=result.offers)


@guarded(Permission.VOLUNTEER)
async def cb_card(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shows one event's card (counts and tools for coordinators)."""
    query = update.callback_query
    assert query is not None
    args = _event_id(update, CB_EVENT + ":card")
    view = await events.get_event(context.db, actor, int(args[0]))
    await query.answer()
    await _show_card(update, context, actor, view)


# ---- invite ----------------------------------------------------------------------------
@guarded(Permission.MANAGE_EVENTS)
async def cb_invite_pick(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shows whom the invitation can go to: the event's team, other teams, everyone."""
    query = update.callback_query
    assert query is not None
    event_id = int(_event_id(update, CB_EVENT + ":inv")[0])
    view, team_list = await events.invite_choices(context.db, actor, event_id)
    reader = reader_for(context, actor)
    buttons = [[Button(reader.t("events.btn_everyone"), f"{CB_EVENT}:ia:{event_id}:0")]]
    buttons += [[Button(name[:40], f"{CB_EVENT}:ia:{event_id}:{tid}")] for tid, name in team_list]
    await query.answer()
    await send(update, context, reader.t("events.pick_audience", title=view.title), buttons)


@guarded(Permission.MANAGE_EVENTS)
async def cb_invite_send(update: Update, context: GotongContext, actor: Actor) -> None:
    """Queues the invitation with RSVP buttons for the chosen audience."""
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, CB_EVENT + ":ia", 2)
    if args is None or (event_id := int_arg(args[0])) is None or (team := int_arg(args[1])) is None:
        raise StaleButton()
    key = f"team:{team}" if team else "all"
    count = await events.invite_audience(context.db, actor, event_id, key, now=context.clock.now())
    view = await events.get_event(context.db, actor, event_id)
    reader = reader_for(context, actor)
    await query.answer()
    text = (
        reader.t("events.invited", title=view.title, count=count)
        if count
        else reader.t("events.invited_none")
    )
    await edit_or_send(update, context, text)


# ---- edit and cancel -------------------------------------------------------------------
EDIT_ALIASES = {
    "title": "title", "judul": "title",
    "start": "start", "mulai": "start", "time": "start", "waktu": "start",
    "end": "end", "selesai": "end",
    "place": "place", "tempat": "place",
    "capacity": "capacity", "kapasitas": "capacity",
    "description": "description", "deskripsi": "description",
}  # fmt: skip


@guarded(Permission.MANAGE_EVENTS)
async def cmd_editevent(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/editevent <id> <field> <value>`: saves and tells the attendees what changed."""
    args = context.args or []
    if len(args) < 3 or int_arg(args[0]) is None:
        raise InvalidInput("events.edit_usage", id=args[0] if args and args[0].isdigit() else 12)
    event_id, field = int(args[0]), EDIT_ALIASES.get(args[1].lower())
    value = " ".join(args[2:])
    if field is None:
        raise InvalidInput("events.edit_unknown_field", field=args[1])
    changes: dict[str, Any] = {}
    if field == "start":
        changes["start"] = _when(context, actor, value)
    elif field == "end":
        current = await events.get_event(context.db, actor, event_id)
        changes["end"] = _end(context, actor, current.starts_at, value)
    elif field == "capacity":
        changes["capacity"] = _capacity(value)
    elif field == "place":
        place, coords = events.split_place(value)
        changes["place"] = place
        if coords:
            changes["latitude"], changes["longitude"] = coords
    else:
        changes[field] = value
    view, told = await events.edit_event(
        context.db, actor, event_id, changes, timing=_timing(context), now=context.clock.now()
    )
    reader = reader_for(context, actor)
    await _show_card(update, context, actor, view, reader.t("events.edited", count=told))


@guarded(Permission.MANAGE_EVENTS)
async def cb_edit_help(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shows how to change this event."""
    query = update.callback_query
    assert query is not None
    event_id = int(_event_id(update, CB_EVENT + ":ed")[0])
    await query.answer()
    await send(update, context, reader_for(context, actor).t("events.edit_usage", id=event_id))


async def _ask_cancel(update: Update, context: GotongContext, actor: Actor, event_id: int) -> None:
    view = await events.get_event(context.db, actor, event_id)
    reader = reader_for(context, actor)
    keyboard = [
        [
            Button(reader.t("events.btn_cancel_yes"), f"{CB_EVENT}:xx:{event_id}"),
            Button(reader.t("events.btn_keep"), f"{CB_EVENT}:keep:{event_id}"),
        ]
    ]
    await send(update, context, reader.t("events.confirm_cancel", title=view.title), keyboard)


@guarded(Permission.MANAGE_EVENTS)
async def cmd_cancelevent(update: Update, context: GotongContext, actor: Actor) -> None:
    """Asks for confirmation, then cancels the event and tells everyone going."""
    args = context.args or []
    if len(args) != 1 or int_arg(args[0]) is None:
        raise InvalidInput("events.id_usage", command="cancelevent")
    await _ask_cancel(update, context, actor, int(args[0]))


@guarded(Permission.MANAGE_EVENTS)
async def cb_cancel(update: Update, context: GotongContext, actor: Actor) -> None:
    """🗑 asks; "Yes" cancels (attendees told, reminders withdrawn); "No" keeps it."""
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    reader = reader_for(context, actor)
    if data.startswith(CB_EVENT + ":xx:"):
        event_id = int(_event_id(update, CB_EVENT + ":xx")[0])
        view, told = await events.cancel_event(context.db, actor, event_id, now=context.clock.now())
        await query.answer()
        await edit_or_send(
            update, context, reader.t("events.cancelled", title=view.title, count=told)
        )
    elif data.startswith(CB_EVENT + ":keep:"):
        _event_id(update, CB_EVENT + ":keep")
        await query.answer()
        await edit_or_send(update, context, reader.t("events.kept"))
    else:
        event_id = int(_event_id(update, CB_EVENT + ":x")[0])
        await query.answer()
        await _ask_cancel(update, context, actor, event_id)


@guarded(Permission.MANAGE_EVENTS)
async def cb_renudge(update: Update, context: GotongContext, actor: Actor) -> None:
    """From the escalation: asks every unconfirmed person once more."""
    from bot.services.events import attendance

    query = update.callback_query
    assert query is not None
    event_id = int(_event_id(update, CB_EVENT + ":rn")[0])
    count = await attendance.renudge_unconfirmed(
        context.db, actor, event_id, now=context.clock.now()
    )
    await query.answer(
        reader_for(context, actor).plain("events.renudged", count=count), show_alert=True
    )


@guarded(Permission.VOLUNTEER)
async def cb_confirm(update: Update, context: GotongContext, actor: Actor) -> None:
    """👍 Confirm / ❌ Can't come on the day-before question."""
    from bot.services.events import attendance

    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, CB_CONFIRM, 2)
    if args is None or args[0] not in ("y", "n") or (rsvp_id := int_arg(args[1])) is None:
        raise StaleButton()
    title, coming = await attendance.answer_confirmation(
        context.db,
        actor,
        rsvp_id,
        args[0] == "y",
        timing=_timing(context),
        now=context.clock.now(),
    )
    reader = reader_for(context, actor)
    await query.answer()
    key = "events.confirmed" if coming else "events.confirm_declined"
    await edit_or_send(update, context, reader.t(key, title=title))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg,unused-ignore]
    register_flow(FLOW_NEW, step_newevent)
    return [
        CommandHandler("events", cmd_events),
        CommandHandler("newevent", cmd_newevent),
        CommandHandler("editevent", cmd_editevent),
        CommandHandler("cancelevent", cmd_cancelevent),
        CallbackQueryHandler(cb_rsvp, pattern=rf"^({CB_RSVP}|{CB_LIST}):"),
        CallbackQueryHandler(cb_confirm, pattern=rf"^{CB_CONFIRM}:"),
        CallbackQueryHandler(cb_card, pattern=rf"^{CB_EVENT}:card:"),
        CallbackQueryHandler(cb_invite_pick, pattern=rf"^{CB_EVENT}:inv:"),
        CallbackQueryHandler(cb_invite_send, pattern=rf"^{CB_EVENT}:ia:"),
        CallbackQueryHandler(cb_edit_help, pattern=rf"^{CB_EVENT}:ed:"),
        CallbackQueryHandler(cb_cancel, pattern=rf"^{CB_EVENT}:(x|xx|keep):"),
        CallbackQueryHandler(cb_renudge, pattern=rf"^{CB_EVENT}:rn:"),
    ]
