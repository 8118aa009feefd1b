"""SQLAlchemy models of Gotong; importing this package registers every table."""

from models.audit import AuditEntry
from models.base import Base, utcnow
from models.broadcast import Broadcast, BroadcastStatus
from models.budget import BudgetLine, Expense, ExpenseStatus, Fund
from models.enums import OutboxStatus, Role
from models.events import CheckinMethod, Event, EventRsvp, EventStatus, RsvpStatus
from models.flow import FlowState
from models.goals import Goal
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
    "Broadcast",
    "BroadcastStatus",
    "BudgetLine",
    "Expense",
    "ExpenseStatus",
    "Fund",
    "CheckinMethod",
    "Event",
    "EventRsvp",
    "EventStatus",
    "RsvpStatus",
    "CoverRequest",
    "CoverStatus",
    "PersonSkill",
    "Shift",
    "ShiftSignup",
    "ShiftStatus",
    "Skill",
    "Task",
    "TaskClaim",
    "TaskClaimStatus",
    "TaskOutcome",
    "WaitlistEntry",
    "WaitlistStatus",
    "AuditEntry",
    "Base",
    "FlowState",
    "Goal",
    "Invite",
    "Membership",
    "OutboxMessage",
    "OpsState",
    "ProcessedUpdate",
    "Replica",
    "OutboxStatus",
    "Person",
    "Role",
    "Team",
    "utcnow",
]
