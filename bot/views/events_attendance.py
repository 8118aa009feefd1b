"""At the door and around it, in words: check-in answers, the lead's tap-to-check-in
list, and the captions of the QR code, the roster file and the calendar files.

The attendance use cases (`bot.services.events.attendance`) return frozen data
(`CheckinResult`, `Roster`); this module words it and builds the typed buttons.
"""

from __future__ import annotations

from bot.services.events.attendance import CheckinResult, Roster, Unconfirmed
from bot.views.events import CheckInPerson, OpenEvent, Renudge
from bot.views.events_outbox import MAX_ESCALATION_NAMES as MAX_UNCONFIRMED_NAMES
from bot.views.events_outbox import mention
from bot.views.render import Button, Outgoing, Reader
from models import RsvpStatus

MAX_LIST_BUTTONS = 60
NAME_LABEL = 28
PER_ROW = 2


def checked_in(result: CheckinResult, reader: Reader) -> str:
    """A person's own check-in (QR or location): done, or done already."""
    key = "events.already_checked_in" if result.already else "events.checked_in"
    return reader.t(key, title=result.title)


def checked_in_other(result: CheckinResult, reader: Reader) -> str:
    """The toast a lead reads after tapping a name (plain text)."""
    key = "events.already_checked_in_other" if result.already else "events.checked_in_other"
    return reader.plain(key, name=result.person_name)


def checkin_list(roster: Roster, reader: Reader) -> Outgoing:
    """Everyone Going or Maybe, one button each (✅ checked in, ⬜ not yet)."""
    # Those on its roles only (no answer, `rsvp_id` 0) check in on their shift.
    people = [p for p in roster.lines
              if p.status != RsvpStatus.DECLINED and p.rsvp_id][:MAX_LIST_BUTTONS]
    if not people:
        return Outgoing(reader.t("events.checkin_list_empty"))
    buttons = [
        Button(("✅ " if p.checked_in else "⬜ ") + p.name[:NAME_LABEL],
               CheckInPerson(p.rsvp_id).pack())
        for p in people
    ]
    rows = [buttons[i : i + PER_ROW] for i in range(0, len(buttons), PER_ROW)]
    return Outgoing(reader.t("events.checkin_list_title", title=roster.title), rows)


def unconfirmed_list(found: Unconfirmed, reader: Reader) -> Outgoing:
    """The card's "who hasn't confirmed": names to tap, "ask them again" for coordinators."""
    if not found.people:
        return Outgoing(reader.t("events.all_confirmed", title=found.title))
    when = reader.time_range(found.starts_at, found.ends_at)
    lines = [reader.t("events.escalation", title=found.title, when=when,
                      count=len(found.people))]
    for p in found.people[:MAX_UNCONFIRMED_NAMES]:
        handle = f" @{p.username}" if p.username else ""
        lines.append(reader.t("events.escalation_line", name=mention(p), handle=handle))
    if len(found.people) > MAX_UNCONFIRMED_NAMES:
        lines.append(reader.t("events.and_more", count=len(found.people) - MAX_UNCONFIRMED_NAMES))
    rows: list[list[Button]] = []
    if found.can_renudge:
        rows.append([Button(reader.plain("events.btn_renudge"), Renudge(found.event_id).pack())])
    rows.append([Button(reader.plain("events.btn_back_to_card"), OpenEvent(found.event_id).pack())])
    return Outgoing("\n".join(lines), rows)


def confirmation_answer(title: str, coming: bool, reader: Reader) -> str:
    key = "events.confirmed" if coming else "events.confirm_declined"
    return reader.t(key, title=title)



# ---- captions and prompts ----------------------------------------------------------------------
def qr_caption(title: str, link: str, reader: Reader) -> str:
    return reader.t("events.qr_caption", title=title, link=link)


def send_location(title: str, reader: Reader) -> str:
    return reader.t("events.send_location", title=title)


def roster_caption(title: str, reader: Reader) -> str:
    return reader.t("events.roster_caption", title=title)


def calendar_caption(count: int, reader: Reader) -> str:
    """/calendar's file caption, or the answer when there is nothing to put in it."""
    if not count:
        return reader.t("events.calendar_empty")
    return reader.t("events.calendar_caption", count=count)


def event_ics_caption(reader: Reader) -> str:
    return reader.t("events.event_ics_caption")
