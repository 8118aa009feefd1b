"""Events for coordinators and volunteers: create, list, card, invite, RSVP, edit, cancel.

The one-liner `/newevent Title | start | length | place | team | capacity` suits
power users; `/newevent` alone walks through the same fields one message at a
time, a guided flow declared in one place (`NEW_EVENT`, `handlers/guided.py`; state in
the database, so a restart mid-way loses nothing).  Each answer is checked at its own
step by the rule the use case applies (`bot.services.events.drafts`), so a bad answer is
asked again and the earlier ones stay; the last answer creates the event and ends the
questions in one transaction.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.delivery.sender import take_off_keyboards
from bot.errors import InvalidInput
from bot.services.authz import Permission
from bot.services.events import attendance, drafts, events, reading
from bot.services.events.drafts import EventDraft
from bot.services.events.duties import DutyView
from bot.services.events.messages import Timing
from bot.services.events.reading import EventView
from bot.services.flows import FlowKey
from bot.services.people import teams
from bot.services.people.members import Actor
from bot.services.progress import feedback_scores
from bot.timeparse import describe_formats
from bot.views import events as views
from bot.views import events_outbox
from bot.views import feedback as feedback_views
from bot.views.events_attendance import confirmation_answer
from bot.views.render import Outgoing
from bot.views.webapp import plan_button
from handlers.app_links import planner_url
from handlers.buttons import pressed
from handlers.common import edit_or_send, int_arg, reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded
from handlers.guided import Answer, GuidedFlow, Step, Turn

log = logging.getLogger(__name__)
FLOW_NEW = "newevent"
ALL_WORDS = {"all", "semua", "everyone", "-", ""}


def _timing(context: GotongContext) -> Timing:
    return Timing.from_settings(context.settings)


def _tz(context: GotongContext) -> str:
    return context.settings.timezone


async def _team(context: GotongContext, text: str) -> int | None:
    if text.strip().lower() in ALL_WORDS:
        return None
    return await teams.resolve_team_id(context.db, text)


async def _reply(update: Update, context: GotongContext, out: Outgoing) -> None:
    await edit_or_send(update, context, out.text, out.keyboard)


async def _show_card(
    update: Update,
    context: GotongContext,
    actor: Actor,
    view: EventView,
    head: str = "",
    offers: tuple[DutyView, ...] = (),
) -> None:
    reader = reader_for(context, actor)
    extra: list[str] = []
    if view.can_manage:  # after the event: the people's rating (coordinators, the team's leads)
        scores = await feedback_scores.event_scores(context.db, actor, view.id)
        if scores is not None:
            extra.append(feedback_views.event_line(reader, scores, view.id))
    out = views.card(view, reader, head=head, offers=offers, extra_lines=extra)
    if view.can_manage and (url := planner_url(update, context, actor)) is not None:
        button = plan_button(url, reader, view.starts_at, view.team_id)
        out = dataclasses.replace(out, keyboard=[*out.keyboard, [button]])
    await _reply(update, context, out)


async def _create(
    update: Update, context: GotongContext, actor: Actor, draft: EventDraft,
    flow: FlowKey | None = None,
) -> None:
    view = await events.create_event(
        context.db, actor, draft, timing=_timing(context), now=context.clock.now(), flow=flow
    )
    await _show_card(update, context, actor, view, views.created_head(reader_for(context, actor)))


# ---- create ----------------------------------------------------------------------------
async def _draft_from_line(context: GotongContext, actor: Actor, rest: str) -> EventDraft:
    parts = [p.strip() for p in rest.split("|")]
    if len(parts) < 3 or len(parts) > 6 or not parts[0]:
        raise InvalidInput("events.usage")
    parts += [""] * (6 - len(parts))
    title, start_text, length_text, place_text, team_text, capacity_text = parts
    now, tz, lang = context.clock.now(), _tz(context), actor.language
    start = drafts.parse_when_text(start_text, now=now, tz=tz, language=lang)
    end = drafts.parse_end_text(length_text, start, tz=tz, language=lang)
    place, coords = drafts.split_place(place_text) if place_text else (None, None)
    return EventDraft(
        title=title,
        starts_at=start,
        ends_at=end,
        place=place,
        latitude=coords[0] if coords else None,
        longitude=coords[1] if coords else None,
        team_id=await _team(context, team_text),
        capacity=drafts.parse_capacity(capacity_text),
    )


@guarded(Permission.MANAGE_EVENTS)
async def cmd_newevent(update: Update, context: GotongContext, actor: Actor) -> None:
    """One line creates the event and shows its card; no arguments starts the questions."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    rest = text.partition(" ")[2].strip()
    if not rest:
        await NEW_EVENT.start(update, context, actor)
        return
    await _create(update, context, actor, await _draft_from_line(context, actor, rest))


# ---- the questions: one validator per step, each the use case's own rule ----------------
async def _read_title(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    return {"title": drafts.check_title(answer.text)}


async def _read_start(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    start = drafts.parse_start(answer.text, now=turn.now, tz=_tz(turn.context),
                               language=turn.actor.language)
    return {"start": start.isoformat()}


async def _read_length(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    start = datetime.fromisoformat(turn.data["start"])
    end = drafts.parse_end(answer.text, start, tz=_tz(turn.context), language=turn.actor.language)
    return {"end": end.isoformat()}


async def _read_place(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    place, coords = drafts.parse_place(answer.text)
    return {"place": place, **({"lat": coords[0], "lon": coords[1]} if coords else {})}


async def _read_location(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    shared = answer.message.location if answer.message is not None else None
    if shared is not None:
        return {"lat": shared.latitude, "lon": shared.longitude}
    coords = drafts.parse_location_text(answer.text)
    return {"lat": coords[0], "lon": coords[1]} if coords else {}


async def _read_team(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    return {"team_id": await _team(turn.context, answer.text)}


async def _read_capacity(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    return {"capacity": drafts.parse_capacity(answer.text)}


def _examples(turn: Turn) -> Mapping[str, Any]:
    return {"examples": describe_formats(turn.actor.language)}


def _draft_of(data: Mapping[str, Any]) -> EventDraft:
    return EventDraft(
        title=data["title"],
        starts_at=datetime.fromisoformat(data["start"]),
        ends_at=datetime.fromisoformat(data["end"]),
        place=data.get("place"),
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        team_id=data.get("team_id"),
        capacity=data.get("capacity"),
    )


async def _finish_newevent(turn: Turn) -> None:
    """The last answer: the event is created and the questions end in one transaction."""
    await _create(turn.update, turn.context, turn.actor, _draft_of(turn.data), turn.key)


NEW_EVENT = GuidedFlow(
    FLOW_NEW,
    steps=(
        Step("title", "events.flow_title", _read_title),
        Step("start", "events.flow_start", _read_start, params=_examples),
        Step("length", "events.flow_length", _read_length),
        Step("place", "events.flow_place", _read_place),
        # Asked only when the place carried no coordinates ("GOR @ -6.21,106.80").
        Step("location", "events.flow_location", _read_location,
             needed=lambda data: "lat" not in data),
        Step("team", "events.flow_team", _read_team),
        Step("capacity", "events.flow_capacity", _read_capacity),
    ),
    finish=_finish_newevent,
)


# ---- list and card ---------------------------------------------------------------------
async def _show_list(update: Update, context: GotongContext, actor: Actor) -> None:
    found = await reading.upcoming_events(context.db, actor, now=context.clock.now())
    await _reply(update, context, views.event_list(found, reader_for(context, actor)))


@guarded(Permission.VOLUNTEER)
async def cmd_events(update: Update, context: GotongContext, actor: Actor) -> None:
    """Upcoming events with my answer and one-tap buttons to change it."""
    await _show_list(update, context, actor)


async def _answer(
    update: Update, context: GotongContext, actor: Actor, answer: Any, event_id: int
) -> events.RsvpResult:
    query = update.callback_query
    assert query is not None
    result = await events.rsvp(
        context.db, actor, event_id, answer, timing=_timing(context), now=context.clock.now()
    )
    reader = reader_for(context, actor)
    await query.answer(views.rsvp_toast(result.event.title, answer, result.changed, reader))
    return result


@pressed(views.AnswerOnCard, Permission.VOLUNTEER)
async def cb_rsvp(
    update: Update, context: GotongContext, actor: Actor, data: views.AnswerOnCard
) -> None:
    """Going / Maybe / Can't: saves the answer and shows the card with it."""
    result = await _answer(update, context, actor, data.answer, data.event_id)
    await _show_card(update, context, actor, result.event, offers=result.offers)


@pressed(views.AnswerOnList, Permission.VOLUNTEER)
async def cb_rsvp_list(
    update: Update, context: GotongContext, actor: Actor, data: views.AnswerOnList
) -> None:
    """The same answer from /events: the list stays a list; the offer comes on its own."""
    result = await _answer(update, context, actor, data.answer, data.event_id)
    await _show_list(update, context, actor)
    offer = views.offer_message(result.offers, reader_for(context, actor))
    if offer is not None:
        await send(update, context, offer.text, offer.keyboard)


@pressed(views.OpenEvent, Permission.VOLUNTEER)
async def cb_card(
    update: Update, context: GotongContext, actor: Actor, data: views.OpenEvent
) -> None:
    """Shows one event's card (counts and tools for coordinators)."""
    assert update.callback_query is not None
    view = await reading.get_event(context.db, actor, data.event_id)
    await update.callback_query.answer()
    await _show_card(update, context, actor, view)


# ---- invite ----------------------------------------------------------------------------
@pressed(views.PickInvitees, Permission.MANAGE_EVENTS)
async def cb_invite_pick(
    update: Update, context: GotongContext, actor: Actor, data: views.PickInvitees
) -> None:
    """Shows whom the invitation can go to: the event's team, other teams, everyone."""
    assert update.callback_query is not None
    choices = await reading.invite_choices(context.db, actor, data.event_id)
    await update.callback_query.answer()
    out = views.invitees_picker(choices, reader_for(context, actor))
    await send(update, context, out.text, out.keyboard)


@pressed(views.Invite, Permission.MANAGE_EVENTS)
async def cb_invite_send(
    update: Update, context: GotongContext, actor: Actor, data: views.Invite
) -> None:
    """Queues the invitation with RSVP buttons for the chosen audience."""
    assert update.callback_query is not None
    key = f"team:{data.team_id}" if data.team_id else "all"
    done = await events.invite_audience(
        context.db, actor, data.event_id, key, now=context.clock.now()
    )
    await update.callback_query.answer()
    await _reply(update, context, views.invited(done.title, done.queued,
                                                reader_for(context, actor)))


# ---- edit and cancel -------------------------------------------------------------------
EDIT_ALIASES = {
    "title": "title", "judul": "title",
    "start": "start", "mulai": "start", "time": "start", "waktu": "start",
    "end": "end", "selesai": "end",
    "place": "place", "tempat": "place",
    "capacity": "capacity", "kapasitas": "capacity",
    "description": "description", "deskripsi": "description",
}  # fmt: skip


async def _changes(
    context: GotongContext, actor: Actor, event_id: int, field: str, value: str
) -> dict[str, Any]:
    tz, lang = _tz(context), actor.language
    if field == "start":
        return {"start": drafts.parse_when_text(value, now=context.clock.now(), tz=tz,
                                                language=lang)}
    if field == "end":
        current = await reading.get_event(context.db, actor, event_id)
        return {"end": drafts.parse_end_text(value, current.starts_at, tz=tz, language=lang)}
    if field == "capacity":
        return {"capacity": drafts.parse_capacity(value)}
    if field == "place":
        place, coords = drafts.split_place(value)
        if coords:
            return {"place": place, "latitude": coords[0], "longitude": coords[1]}
        return {"place": place}
    return {field: value}


@guarded(Permission.MANAGE_EVENTS)
async def cmd_editevent(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/editevent <id> <field> <value>`: saves and tells the attendees what changed (a
    moved start re-plans everyone's reminders)."""
    args = context.args or []
    if len(args) < 3 or int_arg(args[0]) is None:
        raise InvalidInput("events.edit_usage", id=args[0] if args and args[0].isdigit() else 12)
    event_id, field = int(args[0]), EDIT_ALIASES.get(args[1].lower())
    if field is None:
        raise InvalidInput("events.edit_unknown_field", field=args[1])
    changes = await _changes(context, actor, event_id, field, " ".join(args[2:]))
    edited = await events.edit_event(
        context.db, actor, event_id, changes, timing=_timing(context), now=context.clock.now()
    )
    head = views.edited_head(edited.told, reader_for(context, actor), edited.duties_moved)
    await _show_card(update, context, actor, edited.event, head)


@pressed(views.EditHelp, Permission.MANAGE_EVENTS)
async def cb_edit_help(
    update: Update, context: GotongContext, actor: Actor, data: views.EditHelp
) -> None:
    """Shows how to change this event."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await send(update, context, views.edit_help(data.event_id, reader_for(context, actor)))


async def _ask_cancel(update: Update, context: GotongContext, actor: Actor, event_id: int) -> None:
    view = await reading.get_event(context.db, actor, event_id)
    out = views.cancel_question(view, reader_for(context, actor))
    await send(update, context, out.text, out.keyboard)


@guarded(Permission.MANAGE_EVENTS)
async def cmd_cancelevent(update: Update, context: GotongContext, actor: Actor) -> None:
    """Asks for confirmation, then cancels the event and tells everyone going."""
    args = context.args or []
    if len(args) != 1 or int_arg(args[0]) is None:
        raise InvalidInput("events.id_usage", command="cancelevent")
    await _ask_cancel(update, context, actor, int(args[0]))


@pressed(views.AskCancel, Permission.MANAGE_EVENTS)
async def cb_cancel(
    update: Update, context: GotongContext, actor: Actor, data: views.AskCancel
) -> None:
    """🗑 on the card: asks first."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _ask_cancel(update, context, actor, data.event_id)


@pressed(views.CancelNow, Permission.MANAGE_EVENTS)
async def cb_cancel_yes(
    update: Update, context: GotongContext, actor: Actor, data: views.CancelNow
) -> None:
    """"Yes, cancel": attendees told, reminders withdrawn."""
    assert update.callback_query is not None
    done = await events.cancel_event(context.db, actor, data.event_id, now=context.clock.now())
    await update.callback_query.answer()
    # The invitations' RSVP buttons go away (as from the Mini App); the notice says why.
    await take_off_keyboards(context.bot, done.invitations)
    text = views.cancelled(done.event.title, done.told, reader_for(context, actor))
    await edit_or_send(update, context, text)


@pressed(views.KeepEvent, Permission.MANAGE_EVENTS)
async def cb_cancel_no(
    update: Update, context: GotongContext, actor: Actor, data: views.KeepEvent
) -> None:
    """"No, keep it"."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await edit_or_send(update, context, views.kept(reader_for(context, actor)))


@pressed(views.Renudge, Permission.MANAGE_EVENTS)
async def cb_renudge(
    update: Update, context: GotongContext, actor: Actor, data: views.Renudge
) -> None:
    """From the escalation: asks every unconfirmed person once more."""
    assert update.callback_query is not None
    count = await attendance.renudge_unconfirmed(
        context.db, actor, data.event_id, now=context.clock.now()
    )
    await update.callback_query.answer(
        views.renudged(count, reader_for(context, actor)), show_alert=True
    )


@pressed(views.Confirm, Permission.VOLUNTEER)
async def cb_confirm(
    update: Update, context: GotongContext, actor: Actor, data: views.Confirm
) -> None:
    """👍 Confirm / ❌ Can't come on the day-before question."""
    assert update.callback_query is not None
    answer = await attendance.answer_confirmation(
        context.db, actor, data.rsvp_id, data.coming, timing=_timing(context),
        now=context.clock.now(),
    )
    await update.callback_query.answer()
    text = confirmation_answer(answer.title, answer.coming, reader_for(context, actor))
    await edit_or_send(update, context, text)


FEATURE = Feature(
    "events",
    handlers=[
        CommandHandler("events", cmd_events),
        CommandHandler("newevent", cmd_newevent),
        CommandHandler("editevent", cmd_editevent),
        CommandHandler("cancelevent", cmd_cancelevent),
    ],
    buttons=[
        cb_rsvp, cb_rsvp_list, cb_confirm, cb_card, cb_invite_pick, cb_invite_send,
        cb_edit_help, cb_cancel, cb_cancel_yes, cb_cancel_no, cb_renudge,
    ],
    commands=[
        CommandSpec("events", Permission.VOLUNTEER),
        CommandSpec("newevent", Permission.MANAGE_EVENTS),
        CommandSpec("editevent", Permission.MANAGE_EVENTS, menu=False),
        CommandSpec("cancelevent", Permission.MANAGE_EVENTS, menu=False),
    ],
    flows={FLOW_NEW: NEW_EVENT},
    renderers=events_outbox.RENDERERS,
)
