"""The buttons of shifts and tasks: one typed callback kind per action.

Built here (by the shift and task views, the outbox renderers and other areas' cards
that offer a shift) and parsed by `handlers.shifts.*`, one `@pressed` action per kind.
The data only says what was pressed; the services re-check who may do it, to what, now.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.shifts.repeat import RepeatPattern
from bot.views.callbacks import CallbackData, callback


# ---- shifts: the list, a claim and what follows it ---------------------------------------
@callback("shp")
@dataclass(frozen=True, slots=True)
class ShiftsPage(CallbackData):
    page: int


@callback("shcl")
@dataclass(frozen=True, slots=True)
class ClaimShift(CallbackData):
    shift_id: int


@callback("shw")
@dataclass(frozen=True, slots=True)
class JoinWaitlist(CallbackData):
    shift_id: int


@callback("shr")
@dataclass(frozen=True, slots=True)
class ReleaseSignup(CallbackData):
    signup_id: int


@callback("shu")
@dataclass(frozen=True, slots=True)
class UndoRelease(CallbackData):
    """"Undo" under a release: the shift and when it was released (epoch seconds)."""

    shift_id: int
    at: int


@callback("shcv")
@dataclass(frozen=True, slots=True)
class AskCover(CallbackData):
    signup_id: int


@callback("shca")
@dataclass(frozen=True, slots=True)
class TakeCover(CallbackData):
    cover_id: int


@callback("shwa")
@dataclass(frozen=True, slots=True)
class AcceptOffer(CallbackData):
    entry_id: int


@callback("shwd")
@dataclass(frozen=True, slots=True)
class DeclineOffer(CallbackData):
    entry_id: int


@callback("shin")
@dataclass(frozen=True, slots=True)
class CheckInSelf(CallbackData):
    """The volunteer's "I'm here ✅" (from the last reminder and /my)."""

    signup_id: int


# ---- the lead's check-in list --------------------------------------------------------------
@callback("cil")
@dataclass(frozen=True, slots=True)
class CheckInList(CallbackData):
    shift_id: int


@callback("cit")
@dataclass(frozen=True, slots=True)
class CheckInToggle(CallbackData):
    """Carries the state the tap sets: a repeated tap sets it again, never flips it back."""

    signup_id: int
    here: bool


# ---- tasks ---------------------------------------------------------------------------------
@callback("tkp")
@dataclass(frozen=True, slots=True)
class TasksPage(CallbackData):
    page: int


@callback("tkc")
@dataclass(frozen=True, slots=True)
class ClaimTask(CallbackData):
    task_id: int


@callback("tkr")
@dataclass(frozen=True, slots=True)
class ReleaseTask(CallbackData):
    claim_id: int


@callback("tkd")
@dataclass(frozen=True, slots=True)
class TaskDone(CallbackData):
    claim_id: int


# ---- creating shifts and tasks --------------------------------------------------------------
@callback("nft")
@dataclass(frozen=True, slots=True)
class NewForTeam(CallbackData):
    """The guided /newshift or /newtask: which team (None: the whole campaign)."""

    team_id: int | None


@callback("nfs")
@dataclass(frozen=True, slots=True)
class NewWithSkill(CallbackData):
    """The guided flow's last question: which skill (None: no skill needed)."""

    skill_id: int | None


@callback("dua")
@dataclass(frozen=True, slots=True)
class AddDuty(CallbackData):
    """An event card's "➕ Role/shift for this event": the guided /newshift, event preset."""

    event_id: int


@callback("dut")
@dataclass(frozen=True, slots=True)
class DutyAtEventTime(CallbackData):
    """In that flow: "same time as the event" instead of typing the start and end."""

    event_id: int


@callback("shxy")
@dataclass(frozen=True, slots=True)
class CancelShiftNow(CallbackData):
    """/cancelshift's "Yes, cancel it"."""

    shift_id: int


@callback("shxn")
@dataclass(frozen=True, slots=True)
class KeepShift(CallbackData):
    """/cancelshift's "No, keep it"."""

    shift_id: int


@callback("shrp")
@dataclass(frozen=True, slots=True)
class RepeatShift(CallbackData):
    shift_id: int
    pattern: RepeatPattern
