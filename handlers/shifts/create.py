"""Coordinators' side: /newshift and /newtask (guided with buttons, or one line), /editshift,
/cancelshift.

The guided flow keeps its answers in the database (`bot.services.flows`), so a
coordinator can create a week of shifts from a phone across restarts; power
users type one line: `/newshift Jaksel | Door-knocking | besok 08:00 | 3j | 20 | Pasar`.

An event card's "➕ Role/shift for this event" starts the same flow with the
event preset (its team, place, and "same time as the event?"), so a coordinator
adds "Registration desk, 4 places" in a few taps; the one-liner takes a trailing
`| event:12` for the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import CallbackQuery, Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services import flows
from bot.services.authz import Permission, is_team_scoped
from bot.services.events import duties as event_shifts
from bot.services.flows import Flow, FlowKey
from bot.services.people import skills, teams
from bot.services.people.members import Actor
from bot.services.shifts import plan as shifts
from bot.services.shifts import repeat as shift_repeat
from bot.services.shifts import tasks
from bot.services.shifts.parsing import (
    ShiftDraft,
    TaskDraft,
    optional,
    parse_capacity,
    parse_end,
    parse_place,
    parse_shift_line,
    parse_start,
    parse_task_line,
    parse_title,
)
from bot.views import shift_create as create_views
from bot.views.shift_buttons import (
    AddDuty,
    CancelShiftNow,
    DutyAtEventTime,
    KeepShift,
    NewForTeam,
    NewWithSkill,
    RepeatShift,
)
from bot.views.webapp import plan_button
from handlers.app_links import planner_url
from handlers.buttons import pressed
from handlers.common import edit_or_send, int_arg, reader_for, send
from handlers.feature import Feature
from handlers.guard import StaleButton, guarded

FLOW_SHIFT = "newshift"
FLOW_TASK = "newtask"


def _query(update: Update) -> CallbackQuery:
    query = update.callback_query
    assert query is not None
    return query

def _args_text(update: Update) -> str:
    message = update.effective_message
    text = (message.text or "") if message else ""
    return text.split(maxsplit=1)[1] if len(text.split(maxsplit=1)) > 1 else ""


def _tz(context: GotongContext, actor: Actor) -> str:
    return actor.timezone or context.settings.timezone


@guarded(Permission.MANAGE_SHIFTS)
async def cmd_newshift(update: Update, context: GotongContext, actor: Actor) -> None:
    """One line creates the shift; no arguments starts the guided flow with buttons."""
    await _new(update, context, actor, FLOW_SHIFT)


@guarded(Permission.MANAGE_SHIFTS)
async def cmd_newtask(update: Update, context: GotongContext, actor: Actor) -> None:
    """One line creates the task; no arguments starts the guided flow with buttons."""
    await _new(update, context, actor, FLOW_TASK)


async def _new(update: Update, context: GotongContext, actor: Actor, kind: str) -> None:
    reader = reader_for(context, actor)
    line = _args_text(update)
    now = context.clock.now()
    if line:
        if "|" not in line:
            raise InvalidInput("shifts.usage" if kind == FLOW_SHIFT else "tasks.usage")
        if kind == FLOW_SHIFT:
            draft = parse_shift_line(line, now=now, tz=_tz(context, actor), language=actor.language)
            await _create_shift(update, context, actor, draft)
        else:
            task_draft = parse_task_line(
                line, now=now, tz=_tz(context, actor), language=actor.language
            )
            await _create_task(update, context, actor, task_draft)
        return
    team_list = await teams.list_teams(context.db, actor)
    if is_team_scoped(actor):
        team_list = [t for t in team_list if t.id in actor.lead_team_ids]
        if len(team_list) == 1:
            await _ask(update, context, actor, kind, "title", {"team": str(team_list[0].id)})
            return
    text, keyboard = create_views.pick_team(reader, team_list, all_teams=not is_team_scoped(actor))
    await flows.start_flow(context.db, actor.telegram_id, kind, "team", {}, now=now)
    await send(update, context, text, keyboard)


async def _ask(
    update: Update, context: GotongContext, actor: Actor, kind: str, step: str,
    data: dict[str, Any],
) -> None:
    await flows.start_flow(context.db, actor.telegram_id, kind, step, data,
                           now=context.clock.now())
    reader = reader_for(context, actor)
    key = f"tasks.flow_{step}" if kind == FLOW_TASK and step in ("deadline", "capacity") else (
        f"shifts.flow_{step}"
    )
    await edit_or_send(update, context, reader.t(key))


async def on_flow_text(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    """Each answer of the guided flow: validated, kept, and the next question asked."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    if not text:
        raise InvalidInput("shifts.flow_text_only")
    now = context.clock.now()
    tz, lang = _tz(context, actor), actor.language
    data = dict(flow.data)
    kind = flow.flow
    step = flow.step
    if step == "title":
        data["title"] = parse_title(text)
        if kind == FLOW_SHIFT and data.get("event"):
            await _ask_event_start(update, context, actor, data)
            return
        await _ask(update, context, actor, kind, "deadline" if kind == FLOW_TASK else "start", data)
    elif step == "start":
        start = parse_start(text, now=now, tz=tz, language=lang)
        _check_event_window(data, start, start)  # a start no end could bring into the window
        data["start"] = start.isoformat()
        await _ask(update, context, actor, kind, "end", data)
    elif step == "end":
        start = datetime.fromisoformat(data["start"])
        end = parse_end(text, start, now=now, tz=tz, language=lang)
        _check_event_window(data, start, end)
        data["end"] = end.isoformat()
        await _ask(update, context, actor, kind, "capacity", data)
    elif step == "deadline":
        data["deadline"] = parse_start(text, now=now, tz=tz, language=lang).isoformat()
        await _ask(update, context, actor, kind, "capacity", data)
    elif step == "capacity":
        data["capacity"] = 1 if kind == FLOW_TASK and optional(text) is None else (
            parse_capacity(text)
        )
        if kind == FLOW_SHIFT and "place" not in data:  # an event's role has its place
            await _ask(update, context, actor, kind, "place", data)
        else:
            await _offer_skills(update, context, actor, kind, data)
    elif step == "place":
        data["place"] = parse_place(text)
        await _offer_skills(update, context, actor, kind, data)
    else:
        raise InvalidInput("shifts.flow_use_buttons")


async def _offer_skills(
    update: Update, context: GotongContext, actor: Actor, kind: str, data: dict[str, Any]
) -> None:
    skill_list = await skills.list_skills(context.db, actor)
    if not skill_list:
        await _finish(update, context, actor, kind, data, None)
        return
    await flows.start_flow(context.db, actor.telegram_id, kind, "skill", data,
                           now=context.clock.now())
    text, keyboard = create_views.pick_skill(reader_for(context, actor), skill_list)
    await send(update, context, text, keyboard)


async def _finish(
    update: Update, context: GotongContext, actor: Actor, kind: str, data: dict[str, Any],
    skill_ref: str | None,
) -> None:
    team_ref = data.get("team") or None
    ends = FlowKey(actor.telegram_id, kind)  # the write ends the flow, in its transaction
    if kind == FLOW_SHIFT:
        draft = ShiftDraft(
            team_ref=team_ref, title=data["title"],
            starts_at=datetime.fromisoformat(data["start"]),
            ends_at=datetime.fromisoformat(data["end"]),
            capacity=int(data["capacity"]), place=data.get("place", ""), skill_ref=skill_ref,
            event_id=int(data["event"]) if data.get("event") else None,
        )
        await _create_shift(update, context, actor, draft, ends)
    else:
        task_draft = TaskDraft(
            team_ref=team_ref, title=data["title"],
            deadline=datetime.fromisoformat(data["deadline"]),
            capacity=int(data.get("capacity", 1)), skill_ref=skill_ref,
        )
        await _create_task(update, context, actor, task_draft, ends)


async def _create_shift(
    update: Update, context: GotongContext, actor: Actor, draft: ShiftDraft,
    flow: FlowKey | None = None,
) -> None:
    created = await shifts.create_shift(context.db, actor, draft, now=context.clock.now(),
                                        flow=flow)
    reader = reader_for(context, actor)
    text, keyboard = create_views.shift_created(reader, created, draft.event_id)
    if (url := planner_url(update, context, actor)) is not None:
        keyboard.append([plan_button(url, reader, created.starts_at, created.team_id)])
    await send(update, context, text, keyboard)


def _check_event_window(data: dict[str, Any], start: datetime, end: datetime) -> None:
    """An event's role typed outside the event's window is refused at once, so the person
    retypes this answer instead of hearing it after all the questions (the service checks
    again on create)."""
    if not data.get("ev_start"):
        return
    ev_start, ev_end = datetime.fromisoformat(data["ev_start"]), datetime.fromisoformat(
        data["ev_end"]
    )
    if not event_shifts.within_event_window(start, end, ev_start, ev_end):
        raise InvalidInput("event_roles.outside_window", title=data.get("ev_title", ""))


async def _ask_event_start(
    update: Update, context: GotongContext, actor: Actor, data: dict[str, Any]
) -> None:
    """The start of an event's role: "same time as the event? [Yes]", or type another."""
    now = context.clock.now()
    slot = await event_shifts.event_slot(context.db, actor, int(data["event"]), now=now)
    await flows.start_flow(context.db, actor.telegram_id, FLOW_SHIFT, "start", data, now=now)
    reader = reader_for(context, actor)
    if not event_shifts.same_time_possible(slot, now):
        await send(update, context, reader.t("shifts.flow_start"))
        return
    text, keyboard = create_views.same_time_question(reader, slot)
    await send(update, context, text, keyboard)


@pressed(AddDuty, Permission.MANAGE_SHIFTS)
async def on_add_duty(update: Update, context: GotongContext, actor: Actor, data: AddDuty) -> None:
    """The event card's "➕ Role/shift": the guided /newshift with the event preset (its
    team, place and window), starting with the role's name."""
    now = context.clock.now()
    # Re-checked here whatever the button says: the event exists, is on, and is theirs to staff.
    slot = await event_shifts.event_slot(context.db, actor, data.event_id, now=now)
    answers: dict[str, Any] = {
        "team": str(slot.team_id or ""), "event": slot.event_id, "ev_title": slot.title,
        "ev_start": slot.starts_at.isoformat(), "ev_end": slot.ends_at.isoformat(),
    }
    if slot.place:
        answers["place"] = slot.place
    await flows.start_flow(context.db, actor.telegram_id, FLOW_SHIFT, "title", answers, now=now)
    await _query(update).answer()
    reader = reader_for(context, actor)
    await send(update, context, reader.t("event_roles.flow_title", title=slot.title))


@pressed(DutyAtEventTime, Permission.MANAGE_SHIFTS)
async def on_duty_at_event_time(
    update: Update, context: GotongContext, actor: Actor, data: DutyAtEventTime
) -> None:
    """"Same time as the event": the role's start and end are the event's."""
    now = context.clock.now()
    slot = await event_shifts.event_slot(context.db, actor, data.event_id, now=now)
    flow = await context.open_flow(update)  # read with the actor
    if (
        flow is None or flow.flow != FLOW_SHIFT or flow.step != "start"
        or flow.data.get("event") != slot.event_id
        or not event_shifts.same_time_possible(slot, now)
    ):
        raise StaleButton()
    await _query(update).answer()
    answers = dict(flow.data)
    answers["start"], answers["end"] = slot.starts_at.isoformat(), slot.ends_at.isoformat()
    await _ask(update, context, actor, FLOW_SHIFT, "capacity", answers)


@pressed(RepeatShift, Permission.MANAGE_SHIFTS)
async def on_repeat_shift(
    update: Update, context: GotongContext, actor: Actor, data: RepeatShift
) -> None:
    """A repeat button under a new shift: makes the copies and lists them."""
    result = await shift_repeat.repeat_shift(
        context.db, actor, data.shift_id, data.pattern, now=context.clock.now()
    )
    await _query(update).answer()
    await send(update, context, create_views.repeated(reader_for(context, actor), result))


async def _create_task(
    update: Update, context: GotongContext, actor: Actor, draft: TaskDraft,
    flow: FlowKey | None = None,
) -> None:
    created = await tasks.create_task(context.db, actor, draft, now=context.clock.now(),
                                      flow=flow)
    await send(update, context, create_views.task_created(reader_for(context, actor), created))


async def _flow_answer(update: Update, context: GotongContext) -> Flow:
    """The guided /newshift or /newtask this button answers, or the button is stale."""
    flow = await context.open_flow(update)  # read with the actor
    if flow is None or flow.flow not in (FLOW_SHIFT, FLOW_TASK):
        raise StaleButton()
    return flow


@pressed(NewForTeam, Permission.MANAGE_SHIFTS)
async def on_new_for_team(
    update: Update, context: GotongContext, actor: Actor, data: NewForTeam
) -> None:
    """The flow's team: refused at the tap when it is not this person's to plan."""
    flow = await _flow_answer(update, context)
    shifts.check_team_choice(actor, data.team_id)
    await _query(update).answer()
    if flow.step != "team":
        raise StaleButton()
    await _ask(update, context, actor, flow.flow, "title",
               {"team": str(data.team_id) if data.team_id is not None else ""})


@pressed(NewWithSkill, Permission.MANAGE_SHIFTS)
async def on_new_with_skill(
    update: Update, context: GotongContext, actor: Actor, data: NewWithSkill
) -> None:
    """The flow's skill (or none): the shift or task is created."""
    flow = await _flow_answer(update, context)
    await _query(update).answer()
    if flow.step != "skill":
        raise StaleButton()
    await _finish(update, context, actor, flow.flow, dict(flow.data),
                  str(data.skill_id) if data.skill_id is not None else None)


@guarded(Permission.MANAGE_SHIFTS)
async def cmd_editshift(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/editshift <id> time|place|capacity <value>`: changes it and tells those signed up."""
    args = context.args or []
    shift_id = int_arg(args[0]) if args else None
    if shift_id is None or len(args) < 3:
        raise InvalidInput("shifts.edit_usage")
    field, value = args[1].lower(), " ".join(args[2:])
    now = context.clock.now()
    tz, lang = _tz(context, actor), actor.language
    changes: dict[str, Any] = {}
    if field in ("time", "waktu", "jam"):
        start_text, _, end_text = value.partition("|")
        changes["starts_at"] = parse_start(start_text, now=now, tz=tz, language=lang)
        if end_text.strip():
            changes["ends_at"] = parse_end(end_text, changes["starts_at"], now=now, tz=tz,
                                           language=lang)
    elif field in ("place", "tempat"):
        changes["place"] = value
    elif field in ("capacity", "kapasitas"):
        changes["capacity"] = parse_capacity(value)
    else:
        raise InvalidInput("shifts.edit_usage")
    edited = await shifts.edit_shift(context.db, actor, shift_id, context.settings, now=now,
                                     **changes)
    await send(update, context, create_views.edited(reader_for(context, actor), edited))


@guarded(Permission.MANAGE_SHIFTS)
async def cmd_cancelshift(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/cancelshift <id>`: asks first (the shift, how many people will be told), "Yes,
    cancel it" / "No, keep it"; nothing changes until the yes."""
    args = context.args or []
    shift_id = int_arg(args[0]) if len(args) == 1 else None
    if shift_id is None:
        raise InvalidInput("shifts.cancel_usage")
    preview = await shifts.cancel_preview(context.db, actor, shift_id)
    text, keyboard = create_views.cancel_question(reader_for(context, actor), preview)
    await send(update, context, text, keyboard)


@pressed(CancelShiftNow, Permission.MANAGE_SHIFTS)
async def on_cancel_shift_now(
    update: Update, context: GotongContext, actor: Actor, data: CancelShiftNow
) -> None:
    """"Yes, cancel it": everyone signed up is told, reminders and offers withdrawn."""
    cancelled, notified = await shifts.cancel_shift(context.db, actor, data.shift_id,
                                                    now=context.clock.now())
    await _query(update).answer()
    await edit_or_send(update, context,
                       create_views.cancelled(reader_for(context, actor), cancelled, notified))


@pressed(KeepShift, Permission.MANAGE_SHIFTS)
async def on_keep_shift(
    update: Update, context: GotongContext, actor: Actor, data: KeepShift
) -> None:
    await _query(update).answer()
    await edit_or_send(update, context, create_views.kept(reader_for(context, actor)))




FEATURE = Feature(
    "shift_create",
    handlers=[
        CommandHandler("newshift", cmd_newshift),
        CommandHandler("newtask", cmd_newtask),
        CommandHandler("editshift", cmd_editshift),
        CommandHandler("cancelshift", cmd_cancelshift),
    ],
    buttons=[
        on_new_for_team, on_new_with_skill, on_repeat_shift, on_add_duty, on_duty_at_event_time,
        on_cancel_shift_now, on_keep_shift,
    ],
    commands=[
        CommandSpec("newshift", Permission.MANAGE_SHIFTS),
        CommandSpec("newtask", Permission.MANAGE_SHIFTS),
        CommandSpec("editshift", Permission.MANAGE_SHIFTS, menu=False),
        CommandSpec("cancelshift", Permission.MANAGE_SHIFTS, menu=False),
    ],
    flows={FLOW_SHIFT: on_flow_text, FLOW_TASK: on_flow_text},
)
