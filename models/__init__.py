"""SQLAlchemy models of Gotong; importing this package registers every table."""

from models.audit import AuditEntry
from models.autopilot import AutopilotAsk, AutopilotShift, AutopilotTeam
from models.base import Base, utcnow
from models.broadcast import Broadcast, BroadcastStatus
from models.budget import BudgetLine, Expense, ExpenseStatus, Fund
from models.enums import OutboxStatus, Role
from models.events import (
    CheckinMethod,
    Event,
    EventInvitation,
    EventRsvp,
    EventStatus,
    RsvpStatus,
)
from models.feedback import (
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    FeedbackRound,
    QuestionKind,
)
from models.flow import FlowState
from models.goals import Goal
from models.groups import GroupPost, TeamGroup
from models.imports import ImportedVolunteer, ImportStatus
from models.ops import OpsState, ProcessedUpdate, Replica
from models.outbox import OutboxMessage
from models.people import Invite, Membership, Person, Team
from models.shifts import (
    CoverRequest,
    CoverStatus,
    PersonSkill,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Skill,
    Task,
    TaskClaim,
    TaskClaimStatus,
    TaskOutcome,
    WaitlistEntry,
    WaitlistStatus,
)

__all__ = [
    "AuditEntry",
    "AutopilotAsk",
    "AutopilotShift",
    "AutopilotTeam",
    "Base",
    "Broadcast",
    "BroadcastStatus",
    "BudgetLine",
    "CheckinMethod",
    "CoverRequest",
    "CoverStatus",
    "Event",
    "EventInvitation",
    "EventRsvp",
    "EventStatus",
    "Expense",
    "ExpenseStatus",
    "FeedbackAnswer",
    "FeedbackQuestion",
    "FeedbackResponse",
    "FeedbackRound",
    "FlowState",
    "Fund",
    "Goal",
    "GroupPost",
    "ImportStatus",
    "ImportedVolunteer",
    "Invite",
    "Membership",
    "OpsState",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "PersonSkill",
    "ProcessedUpdate",
    "QuestionKind",
    "Replica",
    "Role",
    "RsvpStatus",
    "Shift",
    "ShiftSignup",
    "ShiftStatus",
    "Skill",
    "Task",
    "TaskClaim",
    "TaskClaimStatus",
    "TaskOutcome",
    "Team",
    "TeamGroup",
    "WaitlistEntry",
    "WaitlistStatus",
    "utcnow",
]
