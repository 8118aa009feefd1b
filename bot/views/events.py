"""How events look: the card, the /events list, the RSVP and organiser buttons, the offer
of duties after a yes, the invitation's audience picker and the cancel question.

The use cases (`bot.services.events`) return frozen data (`EventView`, `DutyView`,
`InviteChoices`); this module words it in the reader's language and builds the typed
buttons (`bot.views.callbacks`) each action presses.  The outbox messages of events are
in `bot.views.events_outbox`, the door's check-in list in `bot.views.events_attendance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.events.duties import MAX_CARD_DUTIES, DutyView
from bot.services.events.reading import EventView, InviteChoices
from bot.views.callbacks import CallbackData, callback
from bot.views.i18n import Html, escape
from bot.views.render import Button, Outgoing, Reader, truncate
from bot.views.shift_buttons import AddDuty, ClaimShift
from models import RsvpStatus

RSVP_ICON = {RsvpStatus.GOING: "✅", RsvpStatus.MAYBE: "🤔", RsvpStatus.DECLINED: "❌"}
ANSWERS = (RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.DECLINED)
MAX_TEAM_LABEL = 40


# ---- the buttons -------------------------------------------------------------------------------
@callback("evr")
@dataclass(frozen=True, slots=True)
class AnswerOnCard(CallbackData):
    """Going / Maybe / Can't on a card or an invitation: the card shows the answer."""

    answer: RsvpStatus
    event_id: int


@callback("evl")
@dataclass(frozen=True, slots=True)
class AnswerOnList(CallbackData):
    """The same answer from the /events list: the list is shown again."""

    answer: RsvpStatus
    event_id: int


@callback("evc")
@dataclass(frozen=True, slots=True)
class Confirm(CallbackData):
    """The day-before question: 👍 I'm coming (True) / ❌ I can't (False)."""

    coming: bool
    rsvp_id: int


@callback("evo")
@dataclass(frozen=True, slots=True)
class OpenEvent(CallbackData):
    event_id: int


@callback("evi")
@dataclass(frozen=True, slots=True)
class PickInvitees(CallbackData):
    """📣 Invite: whom to (the event's team, another team, everyone)."""

    event_id: int


@callback("eva")
@dataclass(frozen=True, slots=True)
class Invite(CallbackData):
    """Send the invitation to a team (0: everyone)."""

    event_id: int
    team_id: int


@callback("eved")
@dataclass(frozen=True, slots=True)
class EditHelp(CallbackData):
    event_id: int


@callback("evx")
@dataclass(frozen=True, slots=True)
class AskCancel(CallbackData):
    event_id: int


@callback("evxy")
@dataclass(frozen=True, slots=True)
class CancelNow(CallbackData):
    event_id: int


@callback("evxn")
@dataclass(frozen=True, slots=True)
class KeepEvent(CallbackData):
    event_id: int


@callback("evrn")
@dataclass(frozen=True, slots=True)
class Renudge(CallbackData):
    """From the escalation: ask every unconfirmed person once more."""

    event_id: int


@callback("evuc")
@dataclass(frozen=True, slots=True)
class ShowUnconfirmed(CallbackData):
    """"Who hasn't confirmed" on the organiser's card: the names, at any time."""

    event_id: int


@callback("evqr")
@dataclass(frozen=True, slots=True)
class ShowQr(CallbackData):
    event_id: int


@callback("evcl")
@dataclass(frozen=True, slots=True)
class CheckinList(CallbackData):
    event_id: int


@callback("evci")
@dataclass(frozen=True, slots=True)
class CheckInPerson(CallbackData):
    rsvp_id: int


@callback("evcsv")
@dataclass(frozen=True, slots=True)
class SendRoster(CallbackData):
    event_id: int


@callback("evics")
@dataclass(frozen=True, slots=True)
class EventCalendar(CallbackData):
    event_id: int


@callback("evloc")
@dataclass(frozen=True, slots=True)
class CheckInHere(CallbackData):
    """📍 Check in by sharing one's location."""

    event_id: int


# ---- the card ----------------------------------------------------------------------------------
def _my_answer_line(view: EventView, reader: Reader) -> str | None:
    if view.my_status is None:
        return None
    answer = reader.t(f"events.answer_{view.my_status.value}")
    if view.my_status == RsvpStatus.GOING and view.my_confirmed:
        answer += " · " + reader.t("events.answer_confirmed")
    if view.my_checked_in:
        answer += " · " + reader.t("events.answer_checked_in")
    return reader.t("events.card_mine", answer=Html(answer))


def _counts_line(view: EventView, reader: Reader) -> str:
    c = view.counts
    roles = reader.t("events.card_on_roles", count=c.on_duty) if c.on_duty else ""
    return reader.t(
        "events.card_counts",
        roles=Html(roles),
        going=c.going,
        confirmed=c.confirmed,
        unconfirmed=c.unconfirmed,
        maybe=c.maybe,
        declined=c.declined,
        checked_in=c.checked_in,
        no_shows=c.no_shows,
    )


def card_lines(view: EventView, reader: Reader, *, for_manager: bool = False) -> list[str]:
    """The event card as HTML lines: what, when, where, who; counts for managers."""
    lines = [reader.t("events.card_title", title=view.title, id=view.id)]
    if view.cancelled:
        lines.append(reader.t("events.card_cancelled"))
    lines.append(reader.t("events.card_when", when=reader.time_range(view.starts_at, view.ends_at)))
    if view.place:
        lines.append(reader.t("events.card_place", place=view.place))
    if view.map_url:
        lines.append(reader.t("events.card_map", url=view.map_url))
    audience_text = view.team_name or reader.t("events.everyone")
    lines.append(reader.t("events.card_for", audience=audience_text))
    if view.capacity:
        lines.append(
            reader.t("events.card_capacity", going=view.going_count, capacity=view.capacity)
        )
    if view.duties:
        lines.append(duty_line(view.duties, reader))
    if view.description:
        lines.append(escape(view.description))
    mine = _my_answer_line(view, reader)
    if mine is not None:
        lines.append(mine)
    if for_manager:
        lines.append(_counts_line(view, reader))
    return lines


def duty_line(duties: Sequence[DutyView], reader: Reader) -> str:
    """"Roles: Registration desk 3/4 · Security 2/2" (the first MAX_CARD_DUTIES, then "…")."""
    parts = [
        reader.t("event_roles.card_role", title=truncate(d.title, 40), taken=d.taken,
                 capacity=d.capacity)
        for d in duties[:MAX_CARD_DUTIES]
    ]
    if len(duties) > MAX_CARD_DUTIES:
        parts.append("…")
    return reader.t("event_roles.card_roles", roles=Html(" · ".join(parts)))


def rsvp_buttons(view: EventView, reader: Reader) -> list[list[Button]]:
    row = []
    for status in ANSWERS:
        label = reader.plain(f"events.btn_{status.value}")
        if view.my_status == status:
            label = "• " + label
        row.append(Button(label, AnswerOnCard(status, view.id).pack()))
    rows: list[list[Button]] = [row]
    extra = [Button(reader.t("events.btn_ics"), EventCalendar(view.id).pack())]
    if view.map_url:
        extra.append(Button(reader.t("events.btn_map"), url=view.map_url))
    rows.append(extra)
    if view.map_url and view.my_status == RsvpStatus.GOING and not view.my_checked_in:
        rows.append([Button(reader.t("events.btn_location_checkin"), CheckInHere(view.id).pack())])
    return rows


def manager_buttons(view: EventView, reader: Reader) -> list[list[Button]]:
    e = view.id
    rows = [
        [
            Button(reader.t("events.btn_invite"), PickInvitees(e).pack()),
            Button(reader.t("events.btn_qr"), ShowQr(e).pack()),
        ],
        [
            Button(reader.t("events.btn_checkin_list"), CheckinList(e).pack()),
            Button(reader.t("events.btn_roster"), SendRoster(e).pack()),
        ],
        [Button(reader.plain("events.btn_unconfirmed"), ShowUnconfirmed(e).pack())],
        [
            Button(reader.t("events.btn_edit"), EditHelp(e).pack()),
            Button(reader.t("events.btn_cancel"), AskCancel(e).pack()),
        ],
    ]
    if view.can_add_duties:
        rows.append([Button(reader.t("event_roles.btn_add"), AddDuty(e).pack())])
    return rows


def card_keyboard(view: EventView, reader: Reader) -> list[list[Button]]:
    rows: list[list[Button]] = []
    if not view.cancelled:
        rows += rsvp_buttons(view, reader)
    if view.can_manage and not view.cancelled:
        rows += manager_buttons(view, reader)
    return rows


def offer(offers: Sequence[DutyView], reader: Reader) -> tuple[list[str], list[list[Button]]]:
    """"Want to help? Registration desk: 1 of 4 places left [✋ Registration desk]": the same
    claim button as /shifts, so the claim goes through the same service and rules."""
    if not offers:
        return [], []
    lines = ["", reader.t("event_roles.offer_intro")]
    rows: list[list[Button]] = []
    for duty in offers:
        lines.append(
            reader.t(
                "event_roles.offer_line",
                title=duty.title,
                when=reader.time_range(duty.starts_at, duty.ends_at),
                free=duty.free,
                capacity=duty.capacity,
            )
        )
        label = reader.t("event_roles.btn_offer", title=truncate(duty.title, 40))
        rows.append([Button(label, ClaimShift(duty.shift_id).pack())])
    return lines, rows


def card(
    view: EventView,
    reader: Reader,
    *,
    head: str = "",
    offers: Sequence[DutyView] = (),
    extra_lines: Sequence[str] = (),
) -> Outgoing:
    """The card as a reply: an optional headline, the card, its duties on offer, buttons."""
    lines = ([head] if head else []) + card_lines(view, reader, for_manager=view.can_manage)
    offer_lines, offer_rows = offer(offers, reader)
    text = "\n".join([*lines, *extra_lines, *offer_lines])
    return Outgoing(text, offer_rows + card_keyboard(view, reader))


def offer_message(offers: Sequence[DutyView], reader: Reader) -> Outgoing | None:
    """The offer on its own (after an answer from the list, which stays a list)."""
    lines, rows = offer(offers, reader)
    return Outgoing("\n".join(lines[1:]), rows) if lines else None


# ---- the list ----------------------------------------------------------------------------------
def answer_label(reader: Reader, status: RsvpStatus | None) -> str:
    if status is None:
        return reader.t("events.answer_none")
    return RSVP_ICON[status] + " " + reader.t(f"events.answer_{status.value}")


def list_lines(views: Sequence[EventView], reader: Reader) -> list[str]:
    lines = [reader.t("events.list_title")]
    for n, v in enumerate(views, 1):
        lines.append(
            reader.t(
                "events.list_line",
                n=n,
                title=v.title,
                when=reader.time_range(v.starts_at, v.ends_at),
                answer=answer_label(reader, v.my_status),
            )
        )
    return lines


def list_keyboard(views: Sequence[EventView]) -> list[list[Button]]:
    rows: list[list[Button]] = []
    for n, v in enumerate(views, 1):
        row = [Button(f"📅 {n}", OpenEvent(v.id).pack())]
        for status in ANSWERS:
            label = RSVP_ICON[status] if v.my_status != status else f"• {RSVP_ICON[status]}"
            row.append(Button(label, AnswerOnList(status, v.id).pack()))
        rows.append(row)
    return rows


def event_list(views: Sequence[EventView], reader: Reader) -> Outgoing:
    """/events: the upcoming events with my answer and one-tap buttons to change it."""
    if not views:
        return Outgoing(reader.t("events.none"))
    return Outgoing("\n".join(list_lines(views, reader)), list_keyboard(views))


# ---- organiser screens -------------------------------------------------------------------------
def invitees_picker(choices: InviteChoices, reader: Reader) -> Outgoing:
    """Whom the invitation can go to: everyone, the event's team first, other teams."""
    event_id = choices.event.id
    rows = [[Button(reader.t("events.btn_everyone"), Invite(event_id, 0).pack())]]
    rows += [
        [Button(name[:MAX_TEAM_LABEL], Invite(event_id, team_id).pack())]
        for team_id, name in choices.teams
    ]
    return Outgoing(reader.t("events.pick_audience", title=choices.event.title), rows)


def invited(title: str, count: int, reader: Reader) -> Outgoing:
    if not count:
        return Outgoing(reader.t("events.invited_none"))
    return Outgoing(reader.t("events.invited", title=title, count=count))


def cancel_question(view: EventView, reader: Reader) -> Outgoing:
    keyboard = [
        [
            Button(reader.t("events.btn_cancel_yes"), CancelNow(view.id).pack()),
            Button(reader.t("events.btn_keep"), KeepEvent(view.id).pack()),
        ]
    ]
    return Outgoing(reader.t("events.confirm_cancel", title=view.title), keyboard)


# ---- short answers -----------------------------------------------------------------------------
def created_head(reader: Reader) -> str:
    return reader.t("events.created")


def edited_head(told: int, reader: Reader, duties_moved: int = 0) -> str:
    head = reader.t("events.edited", count=told)
    if duties_moved:  # its roles moved with it, and the people on them were told
        head += "\n" + reader.t("events.duties_moved", count=duties_moved)
    return head


def edit_help(event_id: int, reader: Reader) -> str:
    return reader.t("events.edit_usage", id=event_id)


def rsvp_toast(title: str, answer: RsvpStatus, changed: bool, reader: Reader) -> str:
    """The plain-text answer to an RSVP tap: saved, or the same as before."""
    if not changed:
        return reader.plain("events.rsvp_same")
    return reader.plain(f"events.rsvp_saved_{answer.value}", title=title)


def cancelled(title: str, told: int, reader: Reader) -> str:
    return reader.t("events.cancelled", title=title, count=told)


def kept(reader: Reader) -> str:
    return reader.t("events.kept")


def renudged(count: int, reader: Reader) -> str:
    return reader.plain("events.renudged", count=count)
