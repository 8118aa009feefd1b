"""The outbox's vocabulary: every kind of message the bot sends on its own, in one place.

A `Kind` names a message kind (what the renderers are registered under), its dedup-key
template, the cause it is withdrawn with, its priority and whether it may break quiet
hours.  Services build rows with `KIND.message(chat_id=..., due_at=..., **fields)`; the
fields fill the templates (a datetime becomes integer epoch seconds, as the keys always
had), so no service spells a key or a cause by hand.

The key formats are frozen: a deployed outbox holds rows under them, and a changed format
would send again what was already sent.  Kinds that plan ahead put the planned time into
their key (`starts`), so `outbox.replan` after a move enqueues under new keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.delivery.outbox import (
    PRIORITY_BULK,
    PRIORITY_INTERACTIVE,
    PRIORITY_REMINDER,
    NewMessage,
)


def _plain(value: object) -> object:
    return int(value.timestamp()) if isinstance(value, datetime) else value


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of outbox message: name, dedup-key template, cause template, priority."""

    name: str
    key: str
    cause: str | None = None
    priority: int = PRIORITY_REMINDER
    urgent: bool = False

    def message(
        self,
        *,
        chat_id: int,
        due_at: datetime,
        person_id: int | None = None,
        params: Mapping[str, Any] | None = None,
        broadcast_id: int | None = None,
        urgent: bool | None = None,
        **fields: object,
    ) -> NewMessage:
        """The row for one recipient.  `fields` (plus chat_id, person_id and broadcast_id)
        fill the key and cause templates; `urgent` overrides the kind's default."""
        values: dict[str, object] = {
            "chat_id": chat_id, "person_id": person_id, "broadcast_id": broadcast_id
        }
        values.update({name: _plain(value) for name, value in fields.items()})
        return NewMessage(
            kind=self.name,
            chat_id=chat_id,
            dedup_key=self.key.format(**values),
            due_at=due_at,
            params=dict(params or {}),
            person_id=person_id,
            cause=self.cause.format(**values) if self.cause is not None else None,
            priority=self.priority,
            urgent=self.urgent if urgent is None else urgent,
            broadcast_id=broadcast_id,
        )


# ---- causes: what withdraws a group of rows ------------------------------------------------
def shift_cause(shift_id: int) -> str:
    return f"shift:{shift_id}"


def signup_cause(signup_id: int) -> str:
    return f"signup:{signup_id}"


def waitlist_cause(entry_id: int) -> str:
    return f"waitlist:{entry_id}"


def cover_cause(cover_id: int) -> str:
    return f"cover:{cover_id}"


def task_claim_cause(claim_id: int) -> str:
    return f"taskclaim:{claim_id}"


def event_cause(event_id: int) -> str:
    return f"event:{event_id}"


def event_plan_cause(event_id: int) -> str:
    return f"event_plan:{event_id}"


def rsvp_cause(rsvp_id: int) -> str:
    return f"rsvp:{rsvp_id}"


def autopilot_cause(shift_id: int) -> str:
    return f"autopilot:{shift_id}"


def broadcast_cause(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


def claim_review_cause(expense_id: int) -> str:
    return f"claim_review:{expense_id}"


def expense_cause(expense_id: int) -> str:
    return f"expense:{expense_id}"


def budget_line_cause(line_id: int) -> str:
    return f"budget_line:{line_id}"


def feedback_cause(round_id: int) -> str:
    return f"feedback:{round_id}"


_SHIFT = "shift:{shift_id}"
_EVENT = "event:{event_id}"

# ---- shifts ----------------------------------------------------------------------------------
# One per configured offset; the start time in the key gives a moved shift new reminders.
SHIFT_REMINDER = Kind("shift.reminder", "shift-rem:{signup_id}:{hours}:{starts}",
                      "signup:{signup_id}")
SHIFT_LATE_RELEASE = Kind("shift.late_release", "late-rel:{signup_id}:{person_id}", _SHIFT,
                          PRIORITY_INTERACTIVE)
SHIFT_WAITLIST_OFFER = Kind("shift.waitlist_offer", "wl-offer:{entry_id}:{stamp}",
                            "waitlist:{entry_id}", PRIORITY_INTERACTIVE, urgent=True)
# No cause: the offer's own cause is withdrawn as it expires; this notice must still go.
SHIFT_WAITLIST_EXPIRED = Kind("shift.waitlist_expired", "wl-expired:{entry_id}", None,
                              PRIORITY_INTERACTIVE, urgent=True)
SHIFT_WAITLIST_EXHAUSTED = Kind("shift.waitlist_exhausted",
                                "wl-empty:{shift_id}:{person_id}:{stamp}", _SHIFT,
                                PRIORITY_INTERACTIVE)
SHIFT_COVER_OFFER = Kind("shift.cover_offer", "cover:{cover_id}:{person_id}",
                         "cover:{cover_id}", PRIORITY_INTERACTIVE)
SHIFT_COVER_TAKEN = Kind("shift.cover_taken", "cover-taken:{cover_id}", None,
                         PRIORITY_INTERACTIVE)
SHIFT_CHANGED = Kind("shift.changed", "shift-chg:{shift_id}:{person_id}:{stamp}", _SHIFT,
                     PRIORITY_INTERACTIVE)
# No cause: withdrawing the shift's messages must not withdraw the notice that it is off.
SHIFT_CANCELLED = Kind("shift.cancelled", "shift-cancel:{shift_id}:{person_id}", None,
                       PRIORITY_INTERACTIVE, urgent=True)
# One a person and local day, whatever the number of open shifts (it lists them); no cause:
# the renderer drops the shifts that closed or filled, and skips the message when none is left.
SHIFT_FREE_NUDGE = Kind("shift.free_nudge", "shift-free-day:{person_id}:{day}", None,
                        PRIORITY_BULK)
TASK_NUDGE = Kind("task.nudge", "task-nudge:{claim_id}:{hours}", "taskclaim:{claim_id}")
TASK_OVERDUE = Kind("task.overdue", "task-overdue:{claim_id}:{person_id}",
                    "taskclaim:{claim_id}")

# ---- events ----------------------------------------------------------------------------------
# One person's answer plans its own rows (cause `rsvp:`): stepping back withdraws them, a
# confirmation re-plans them without the question; the escalation is the event's plan
# (`event_plan:`), re-planned when the event moves.  Cancelling withdraws all three causes.
_RSVP = "rsvp:{rsvp_id}"
EVENT_INVITE = Kind("event.invite", "ev.inv:{event_id}:{person_id}", _EVENT, PRIORITY_BULK)
EVENT_REMINDER = Kind("event.reminder", "ev.rem:{rsvp_id}:{hours}:{starts}", _RSVP)
EVENT_CONFIRM = Kind("event.confirm", "ev.cf:{rsvp_id}:{starts}", _RSVP)
EVENT_NUDGE = Kind("event.confirm_nudge", "ev.nudge:{rsvp_id}:{starts}", _RSVP)
# The coordinator's "nudge again": the same kind, at most one per 10 minutes (`stamp`).
EVENT_RENUDGE = Kind("event.confirm_nudge", "ev.renudge:{rsvp_id}:{stamp}", _RSVP,
                     PRIORITY_INTERACTIVE)
EVENT_ESCALATION = Kind("event.escalation", "ev.esc:{event_id}:{person_id}:{starts}",
                        "event_plan:{event_id}", PRIORITY_INTERACTIVE)
EVENT_UPDATE = Kind("event.update", "ev.upd:{event_id}:{rsvp_id}:{stamp}", _EVENT,
                    PRIORITY_INTERACTIVE)
EVENT_CANCELLED = Kind("event.cancelled", "ev.cxl:{event_id}:{rsvp_id}", None,
                       PRIORITY_INTERACTIVE, urgent=True)

# ---- group chats (a coordinator's own action, seen together by the team: never held) -----------
GROUP_SHIFT_POST = Kind("group.shift_post", "grp-post:shift:{shift_id}:{chat_id}", _SHIFT,
                        urgent=True)
GROUP_EVENT_POST = Kind("group.event_post", "grp-post:event:{event_id}:{chat_id}", _EVENT,
                        urgent=True)
GROUP_CLAIMED = Kind("group.claimed", "grp-claimed:{signup_id}", "signup:{signup_id}",
                     PRIORITY_INTERACTIVE, urgent=True)
GROUP_GOING = Kind("group.going", "grp-going:{event_id}:{person_id}:{stamp}", _EVENT,
                   PRIORITY_INTERACTIVE, urgent=True)
# A repeated shift's occurrences, one post (`shift_id`: the first occurrence); no cause:
# cancelling one occurrence must not withdraw the others' post.
GROUP_SERIES_POST = Kind("group.series_post", "grp-series:{shift_id}:{chat_id}", None,
                         urgent=True)
# Automatic, so quiet hours hold them (a group row has no person: the campaign's zone).
# One "places left" post per shift and group; the renderer skips it once the shift filled.
GROUP_PLACES_LEFT = Kind("group.places_left", "grp-left:{shift_id}:{chat_id}", _SHIFT)
# One digest per group and local day.
GROUP_DIGEST = Kind("group.digest", "grp-digest:{chat_id}:{day}", None, PRIORITY_BULK)

# ---- people ------------------------------------------------------------------------------------
# "You are now a lead": one per change (`stamp`: when it was made), so promoting again is told.
ROLE_CHANGED = Kind("people.role_changed", "role:{person_id}:{after}:{stamp}", None,
                    PRIORITY_INTERACTIVE)

# ---- autopilot ---------------------------------------------------------------------------------
AUTOPILOT_INVITE = Kind("autopilot.invite", "ap-ask:{shift_id}:{person_id}",
                        "autopilot:{shift_id}")  # not urgent: quiet hours hold it
AUTOPILOT_REPORT = Kind("autopilot.report", "ap-rep:{person_id}:{stamp}")

# ---- progress ----------------------------------------------------------------------------------
DIGEST_DAILY = Kind("digest.daily_lead", "digest.daily_lead:{person_id}:{day}",
                    priority=PRIORITY_BULK)
DIGEST_WEEKLY = Kind("digest.weekly", "digest.weekly:{person_id}:{week}",
                     priority=PRIORITY_BULK)
MILESTONE = Kind("progress.milestone", "progress.milestone:{what}:{count}:{person_id}",
                 priority=PRIORITY_BULK)
FEEDBACK_ASK = Kind("feedback.ask", "fb:{response_id}", "feedback:{round_id}")

# ---- budget ------------------------------------------------------------------------------------
BUDGET_CLAIM_REVIEW = Kind("budget.claim_review", "budget.claim_review:{expense_id}:{person_id}",
                           "claim_review:{expense_id}", PRIORITY_INTERACTIVE)
BUDGET_CLAIM_OUTCOME = Kind("budget.claim_outcome", "budget.claim_outcome:{expense_id}:{outcome}",
                            "expense:{expense_id}", PRIORITY_INTERACTIVE)
# A re-armed alert that fires again later gets a new key from its firing time (`at`).
BUDGET_LINE_ALERT = Kind("budget.line_alert",
                         "budget.line_alert:{line_id}:{threshold}:{at}:{person_id}",
                         "budget_line:{line_id}", PRIORITY_INTERACTIVE)

# ---- broadcasts --------------------------------------------------------------------------------
# `recipient` is the person's id, or "c<chat id>" for a group chat (it has no person).
BROADCAST_MESSAGE = Kind("broadcast.message", "broadcast:{broadcast_id}:{recipient}",
                         "broadcast:{broadcast_id}", PRIORITY_BULK)
# Not counted with the broadcast's rows: no broadcast_id, the broadcast's id is `of`.
BROADCAST_REPORT = Kind("broadcast.report", "broadcast:{of}:report", None,
                        PRIORITY_INTERACTIVE, urgent=True)

# ---- operations --------------------------------------------------------------------------------
OPS_ALERT = Kind("ops.alert", "alert:{chat_id}:{digest}:{bucket}", None,
                 PRIORITY_INTERACTIVE, urgent=True)

ALL_KINDS: tuple[Kind, ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, Kind)
)
