"""Budget lines, funds received and the budget's state: what is planned, received, spent, owed.

`budget_status(sessionmaker)` is the one place that adds the money up; `/budget`, the
ledger export's totals, `/summary` and `/report` all read it, so they agree to the rupiah.
Expenses live in `expenses`, their review in `claims`, the CSV in `exports`.

Spent means approved or paid expenses (money committed); pending claims and what is owed
(approved, not yet reimbursed) are shown beside it, never mixed in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, InvalidInput, NotFound
from bot.money import AmountParseError, parse_amount
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.people.members import Actor
from bot.services.people.teams import find_team
from models import BudgetLine, Expense, ExpenseStatus, Fund, Person, Role, Team

# Anything above this (in major units: rupiah, dollars) is a typo, not a campaign expense.
MAX_AMOUNT_MAJOR = 10_000_000_000
MAX_CATEGORY = 64
MAX_SOURCE = 200
MAX_NOTE = 500
COUNTED = (ExpenseStatus.APPROVED, ExpenseStatus.PAID)
# Roles that hold APPROVE_CLAIMS / MANAGE_BUDGET: they get claims to review and alerts.
TREASURER_ROLES = (Role.ADMIN, Role.COORDINATOR)
_EVENT_TOKEN = re.compile(r"^(?:event|acara|e):(\d{1,18})$", re.IGNORECASE)
_CURRENCY_WORDS = {"rp", "rp.", "idr", "usd", "$", "us$", "rupiah"}


# ---- results ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LineView:
    id: int
    category: str
    planned: int
    currency: str
    team_name: str | None
    event_id: int | None


@dataclass(frozen=True, slots=True)
class LineStatus:
    id: int
    category: str
    team_id: int | None
    event_id: int | None
    planned: int
    spent: int  # approved + paid
    pending: int  # claims waiting for review

    @property
    def remaining(self) -> int:
        return self.planned - self.spent

    @property
    def ratio(self) -> float:
        return self.spent / self.planned if self.planned else 0.0


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """The campaign's money at a glance; every amount in minor units of `currency`."""

    currency: str
    planned: int
    received: int
    spent: int
    pending: int
    pending_count: int
    owed: int  # approved claims not yet reimbursed
    owed_count: int
    lines: tuple[LineStatus, ...]

    @property
    def balance(self) -> int:
        """Received minus spent: what is left in the campaign's purse."""
        return self.received - self.spent

    @property
    def remaining(self) -> int:
        return self.planned - self.spent


@dataclass(frozen=True, slots=True)
class FundView:
    id: int
    source: str
    amount: int
    currency: str
    received_at: datetime
    note: str | None


# ---- parsing helpers (no Telegram here: handlers pass the text in) ------------------------
def parse_money(text: str, *, currency: str, lang: str) -> int:
    """Typed amount → minor units, or `InvalidInput` whose message lists the accepted forms."""
    try:
        return parse_amount(text, currency=currency, locale=lang, max_major=MAX_AMOUNT_MAJOR)
    except AmountParseError as exc:
        raise InvalidInput(f"budget.amount.{exc.reason}", text=text.strip()[:40]) from None


def split_amount(
    tokens: Sequence[str], start: int, *, currency: str, lang: str
) -> tuple[int, int] | None:
    """Amount at `tokens[start:]` spanning 1–3 tokens ("Rp 75.000", "1 500 000").

    Returns (minor, tokens used), the longest reading that parses, or None.
    """
    for width in (3, 2, 1):
        if start + width > len(tokens):
            continue
        chunk = " ".join(tokens[start : start + width])
        try:
            minor = parse_amount(chunk, currency=currency, locale=lang, max_major=MAX_AMOUNT_MAJOR)
        except AmountParseError:
            continue
        return minor, width
    return None


def amount_error(tokens: Sequence[str], start: int, *, currency: str, lang: str) -> InvalidInput:
    """The most helpful refusal for the amount that should be at `tokens[start]`."""
    first = tokens[start] if start < len(tokens) else ""
    if first.lower() in _CURRENCY_WORDS and start + 1 < len(tokens):
        first = f"{first} {tokens[start + 1]}"
    try:
        parse_money(first, currency=currency, lang=lang)
    except InvalidInput as exc:
        return exc
    return InvalidInput("budget.amount.unparseable", text=first[:40])


def clean_text(text: str, limit: int, empty_key: str | None = None) -> str:
    cleaned = " ".join(text.split())
    if not cleaned and empty_key:
        raise InvalidInput(empty_key)
    if len(cleaned) > limit:
        raise InvalidInput("budget.text_too_long", max=limit)
    return cleaned


def category_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def event_ref(token: str) -> int | None:
    """`event:12` (or `acara:12`, `e:12`) → 12; the events area owns what 12 means."""
    match = _EVENT_TOKEN.match(token)
    return int(match.group(1)) if match else None


async def treasurers(session: AsyncSession) -> list[tuple[int, int]]:
    """(person id, telegram id) of everyone who reviews claims and gets budget alerts."""
    rows = await session.execute(
        select(Person.id, Person.telegram_id)
        .where(Person.role.in_(TREASURER_ROLES), Person.reachable.is_(True))
        .order_by(Person.id)
    )
    return [(int(pid), int(tid)) for pid, tid in rows]


async def find_line(session: AsyncSession, ref: str) -> BudgetLine:
    ref = ref.strip()
    line = None
    if ref.isdigit() and len(ref) <= 18:
        line = await session.get(BudgetLine, int(ref))
    if line is None:
        line = await session.scalar(
            select(BudgetLine).where(BudgetLine.category_key == category_key(ref))
        )
    if line is None:
        raise NotFound("budget.unknown_category", name=ref, known=await _known(session))
    return line


async def _known(session: AsyncSession) -> str:
    names = (await session.scalars(select(BudgetLine.category).order_by(BudgetLine.category))).all()
    return ", ".join(names) or "—"


def line_snapshot(line: BudgetLine) -> dict[str, object]:
    return {
        "category": line.category,
        "planned_minor": line.planned_minor,
        "currency": line.currency,
        "team_id": line.team_id,
        "event_id": line.event_id,
    }


# ---- budget lines -------------------------------------------------------------------------
async def set_budget_line(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    category: str,
    planned: int,
    currency: str,
    team_ref: str | None = None,
    event_id: int | None = None,
    now: datetime,
) -> tuple[LineView, bool]:
    """Creates the line, or sets the planned amount (and team/event) of an existing one.

    Returns (line, created).  Raising the plan below a fired alert's threshold re-arms it,
    so the coordinators hear again if the line climbs past it once more.
    """
    require(actor, Permission.MANAGE_BUDGET)
    name = clean_text(category, MAX_CATEGORY, "budget.category_empty")
    if planned <= 0:
        raise InvalidInput("budget.amount.zero", text="0")
    try:
        async with sessionmaker.begin() as session:
            team: Team | None = await find_team(session, team_ref) if team_ref else None
            line = await session.scalar(
                select(BudgetLine).where(BudgetLine.category_key == category_key(name))
            )
            created = line is None
            before = None if line is None else line_snapshot(line)
            if line is None:
                line = BudgetLine(
                    category=name,
                    category_key=category_key(name),
                    currency=currency,
                    created_by_id=actor.person_id,
                    created_at=now,
                    planned_minor=planned,
                )
                session.add(line)
            elif line.currency != currency:
                raise Conflict("budget.currency_mismatch", currency=line.currency)
            line.planned_minor = planned
            line.updated_at = now
            if team is not None:
                line.team_id = team.id
            if event_id is not None:
                line.event_id = event_id
            await session.flush()
            spent = await line_spent(session, line.id)
            if line.alert_80_at is not None and spent * 100 < planned * 80:
                line.alert_80_at = None
            if line.alert_100_at is not None and spent < planned:
                line.alert_100_at = None
            audit.record(
                session,
                action="budget.line.create" if created else "budget.line.update",
                actor_id=actor.person_id,
                actor_telegram_id=actor.telegram_id,
                target_type="budget_line",
                target_id=line.id,
                before=before,
                after=line_snapshot(line),
            )
            return (
                LineView(
                    line.id,
                    line.category,
                    line.planned_minor,
                    line.currency,
                    team.name if team else None,
                    line.event_id,
                ),
                created,
            )
    except IntegrityError:
        # Two coordinators created the same category at once: the other one won.
        raise Conflict("budget.line_exists", name=name) from None


async def line_spent(session: AsyncSession, line_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Expense.amount_minor), 0)).where(
            Expense.budget_line_id == line_id, Expense.status.in_(COUNTED)
        )
    )
    return int(total or 0)


async def list_lines(sessionmaker: async_sessionmaker[AsyncSession]) -> list[LineView]:
    """Every budget line, by category (the buttons of the expense flow)."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(BudgetLine, Team.name)
            .outerjoin(Team, Team.id == BudgetLine.team_id)
            .order_by(BudgetLine.category_key)
        )
        return [
            LineView(line.id, line.category, line.planned_minor, line.currency, team, line.event_id)
            for line, team in rows
        ]


async def pick_line(sessionmaker: async_sessionmaker[AsyncSession], ref: str) -> LineView:
    """The line an answer names: its id (a button) or its category as typed.

    The lookup the expense's write makes (`find_line`), as `InvalidInput` so a guided
    step can ask again with the known categories.
    """
    async with sessionmaker() as session:
        try:
            line = await find_line(session, ref)
        except NotFound as missing:
            raise InvalidInput(missing.key, **missing.params) from None
        team = await session.get(Team, line.team_id) if line.team_id is not None else None
        return LineView(
            line.id,
            line.category,
            line.planned_minor,
            line.currency,
            team.name if team is not None else None,
            line.event_id,
        )


# ---- funds --------------------------------------------------------------------------------
def fund_snapshot(fund: Fund) -> dict[str, object]:
    return {
        "source": fund.source,
        "amount_minor": fund.amount_minor,
        "currency": fund.currency,
        "note": fund.note,
        "voided": fund.voided,
        "void_reason": fund.void_reason,
    }


async def record_fund(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    amount: int,
    currency: str,
    source: str,
    note: str | None,
    now: datetime,
) -> FundView:
    """Money received (a donation, a transfer from the party): adds to the balance."""
    require(actor, Permission.MANAGE_BUDGET)
    if amount <= 0:
        raise InvalidInput("budget.amount.zero", text="0")
    source = clean_text(source, MAX_SOURCE, "budget.fund_source_empty")
    note = clean_text(note, MAX_NOTE) or None if note else None
    async with sessionmaker.begin() as session:
        fund = Fund(
            source=source,
            amount_minor=amount,
            currency=currency,
            received_at=now,
            note=note,
            recorded_by_id=actor.person_id,
            created_at=now,
        )
        session.add(fund)
        await session.flush()
        audit.record(
            session,
            action="budget.fund.record",
            actor_id=actor.person_id,
            actor_telegram_id=actor.telegram_id,
            target_type="fund",
            target_id=fund.id,
            before=None,
            after=fund_snapshot(fund),
        )
        return FundView(fund.id, source, amount, currency, now, note)


async def void_fund(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    fund_id: int,
    reason: str,
    *,
    now: datetime,
) -> FundView:
    require(actor, Permission.MANAGE_BUDGET)
    reason = clean_text(reason, MAX_NOTE, "budget.void_reason_missing")
    async with sessionmaker.begin() as session:
        fund = await session.get(Fund, fund_id, with_for_update=True)
        if fund is None:
            raise NotFound("budget.entry_not_found", ref=f"F{fund_id}")
        if fund.voided:
            raise Conflict("budget.already_void", ref=f"F{fund_id}")
        before = fund_snapshot(fund)
        fund.voided, fund.void_reason = True, reason
        fund.voided_by_id, fund.voided_at = actor.person_id, now
        audit.record(
            session,
            action="budget.fund.void",
            actor_id=actor.person_id,
            actor_telegram_id=actor.telegram_id,
            target_type="fund",
            target_id=fund.id,
            before=before,
            after=fund_snapshot(fund),
        )
        return FundView(
            fund.id, fund.source, fund.amount_minor, fund.currency, fund.received_at, fund.note
        )


# ---- the state of the budget ----------------------------------------------------------------
async def budget_status(
    sessionmaker: async_sessionmaker[AsyncSession], *, currency: str = "IDR"
) -> BudgetStatus:
    """Planned, received, spent, pending and owed, overall and per line (for /budget,
    /summary and /report).  `currency` is only the label when nothing is recorded yet."""
    async with sessionmaker() as session:
        return await status_in(session, currency=currency)


async def status_in(session: AsyncSession, *, currency: str = "IDR") -> BudgetStatus:
    """`budget_status` inside an open session (the ledger export uses the same snapshot)."""
    spent_sum = func.coalesce(
        func.sum(case((Expense.status.in_(COUNTED), Expense.amount_minor), else_=0)), 0
    )
    pending_sum = func.coalesce(
        func.sum(case((Expense.status == ExpenseStatus.PENDING, Expense.amount_minor), else_=0)),
        0,
    )
    per_line = (
        select(Expense.budget_line_id, spent_sum.label("spent"), pending_sum.label("pending"))
        .group_by(Expense.budget_line_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            BudgetLine,
            func.coalesce(per_line.c.spent, 0),
            func.coalesce(per_line.c.pending, 0),
        )
        .outerjoin(per_line, per_line.c.budget_line_id == BudgetLine.id)
        .order_by(BudgetLine.category_key)
    )
    lines = tuple(
        LineStatus(
            line.id,
            line.category,
            line.team_id,
            line.event_id,
            line.planned_minor,
            int(spent),
            int(pending),
        )
        for line, spent, pending in rows
    )
    received = await session.scalar(
        select(func.coalesce(func.sum(Fund.amount_minor), 0)).where(Fund.voided.is_(False))
    )
    counts = (
        await session.execute(
            select(Expense.status, func.count(), func.coalesce(func.sum(Expense.amount_minor), 0))
            .where(Expense.status.in_((ExpenseStatus.PENDING, ExpenseStatus.APPROVED)))
            .group_by(Expense.status)
        )
    ).all()
    by_status = {status: (int(n), int(total)) for status, n, total in counts}
    pending_count, pending = by_status.get(ExpenseStatus.PENDING, (0, 0))
    owed_count, owed = by_status.get(ExpenseStatus.APPROVED, (0, 0))
    # The campaign's currency as the lines record it (a changed setting must not relabel).
    recorded = await session.scalar(select(BudgetLine.currency).limit(1))
    return BudgetStatus(
        currency=recorded or currency,
        planned=sum(line.planned for line in lines),
        received=int(received or 0),
        spent=sum(line.spent for line in lines),
        pending=pending,
        pending_count=pending_count,
        owed=owed,
        owed_count=owed_count,
        lines=lines,
    )
