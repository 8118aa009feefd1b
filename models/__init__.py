"""SQLAlchemy models of Gotong; importing this package registers every table."""

from models.audit import AuditEntry
from models.base import Base, utcnow
from models.budget import BudgetLine, Expense, ExpenseStatus, Fund
from models.enums import OutboxStatus, Role
from models.flow import FlowState
from models.outbox import OutboxMessage
from models.people import Invite, Membership, Person, Team

__all__ = [
    "BudgetLine",
    "Expense",
    "ExpenseStatus",
    "Fund",
    "AuditEntry",
    "Base",
    "FlowState",
    "Invite",
    "Membership",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "Role",
    "Team",
    "utcnow",
]
