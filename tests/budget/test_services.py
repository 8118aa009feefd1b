"""Budget services on SQLite and PostgreSQL: lines, funds, claims, alerts, voids, races."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import BUDGET_CLAIM_OUTCOME, BUDGET_CLAIM_REVIEW, BUDGET_LINE_ALERT
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.budget import claims, expenses
from bot.services.budget import exports as budget_exports
from bot.services.budget import lines as budget
from bot.services.budget.expenses import Receipt
from bot.services.people.members import Actor
from models import BudgetLine, Expense, ExpenseStatus, OutboxStatus, Role
from tests.budget.factories import T0, audits, count, make_actor, outbox_rows

SM = async_sessionmaker[AsyncSession]
JT = 100_000_000  # one juta rupiah in minor units (IDR has two decimals in CLDR)


async def _setup(sessionmaker: SM) -> tuple[Actor, Actor, Actor]:
    coord = await make_actor(sessionmaker, 10, Role.COORDINATOR, "Citra")
    coord2 = await make_actor(sessionmaker, 11, Role.ADMIN, "Dodi")
    vol = await make_actor(sessionmaker, 20, Role.VOLUNTEER, "Ani")
    await budget.set_budget_line(
        sessionmaker, coord, category="Printing", planned=5 * JT, currency="IDR", now=T0
    )
    return coord, coord2, vol


def test_parse_money_accepts_what_people_type_and_explains_refusals() -> None:
    assert budget.parse_money("1.500.000", currency="IDR", lang="id") == 150_000_000
    assert budget.parse_money("1,5jt", currency="IDR", lang="id") == 150_000_000
    assert budget.parse_money("250rb", currency="IDR", lang="en") == 25_000_000
    assert budget.parse_money("Rp 75.000", currency="IDR", lang="id") == 7_500_000
    assert budget.parse_money("12.50", currency="USD", lang="en") == 1250
    for text, reason in [
        ("-5000", "negative"),
        ("0", "zero"),
        ("99999jt", "too_large"),
        ("abc", "unparseable"),
    ]:
        with pytest.raises(InvalidInput) as err:
            budget.parse_money(text, currency="IDR", lang="id")
        assert err.value.key == f"budget.amount.{reason}"
    assert budget.split_amount(["Rp", "75.000", "Printing"], 0, currency="IDR", lang="id") == (
        7_500_000,
        2,
    )


def test_receipt_must_be_a_small_image() -> None:
    expenses.check_receipt("photo", "image/jpeg", 1000)
    expenses.check_receipt("document", "image/png", 1000)
    with pytest.raises(InvalidInput) as err:
        expenses.check_receipt("document", "application/pdf", 1000)
    assert err.value.key == "budget.receipt.not_image"
    with pytest.raises(InvalidInput) as err:
        expenses.check_receipt("photo", "image/jpeg", expenses.RECEIPT_MAX_BYTES + 1)
    assert err.value.key == "budget.receipt.too_large"


async def test_claim_review_approve_pay_and_status(sessionmaker: SM) -> None:
    coord, coord2, vol = await _setup(sessionmaker)
    await budget.record_fund(
        sessionmaker,
        coord,
        amount=10 * JT,
        currency="IDR",
        source="Donasi Pak Budi",
        note="transfer",
        now=T0,
    )
    receipt = Receipt("AgACphoto", "photo", "image/jpeg", 2048)
    claim = await expenses.record_expense(
        sessionmaker,
        vol,
        amount=JT,
        currency="IDR",
        category="printing",
        note="flyer RW 05",
        receipt=receipt,
        now=T0,
    )
    assert claim.status == ExpenseStatus.PENDING and claim.has_receipt
    reviews = await outbox_rows(sessionmaker, BUDGET_CLAIM_REVIEW.name)
    assert sorted(r.chat_id for r in reviews) == [10, 11]

    status = await budget.budget_status(sessionmaker)
    assert (status.spent, status.pending, status.pending_count) == (0, JT, 1)

    with pytest.raises(NotAllowed):
        await claims.approve_claim(sessionmaker, vol, claim.id, now=T0)
    approved = await claims.approve_claim(sessionmaker, coord, claim.id, now=T0)
    assert approved.status == ExpenseStatus.APPROVED and approved.reviewed_by == "Citra"
    with pytest.raises(Conflict) as err:
        await claims.approve_claim(sessionmaker, coord2, claim.id, now=T0)
    assert err.value.key == "budget.claim.already_approved"
    assert err.value.params["by"] == "Citra"
    # The other reviewer's unsent "please review" is withdrawn; the claimant hears the outcome.
    assert {r.status for r in await outbox_rows(sessionmaker, BUDGET_CLAIM_REVIEW.name)} == {
        OutboxStatus.CANCELLED
    }
    told = await outbox_rows(sessionmaker, BUDGET_CLAIM_OUTCOME.name)
    assert [(r.chat_id, r.params["outcome"]) for r in told] == [(20, "approved")]

    status = await budget.budget_status(sessionmaker)
    assert (status.spent, status.owed, status.owed_count, status.balance) == (JT, JT, 1, 9 * JT)
    assert status.lines[0].remaining == 4 * JT

    await claims.mark_paid(sessionmaker, coord2, claim.id, now=T0)
    with pytest.raises(Conflict):
        await claims.mark_paid(sessionmaker, coord2, claim.id, now=T0)
    status = await budget.budget_status(sessionmaker)
    assert (status.spent, status.owed) == (JT, 0)
    outcome_rows = await outbox_rows(sessionmaker, BUDGET_CLAIM_OUTCOME.name)
    outcomes = [r.params["outcome"] for r in outcome_rows]
    assert outcomes == ["approved", "paid"]
    trail = await audits(sessionmaker, "budget.claim.approve")
    assert trail[0]["before"]["status"] == "pending"
    assert trail[0]["after"]["status"] == "approved"


async def test_reject_needs_a_reason_and_tells_the_volunteer(sessionmaker: SM) -> None:
    coord, _, vol = await _setup(sessionmaker)
    claim = await expenses.record_expense(
        sessionmaker, vol, amount=JT, currency="IDR", category="Printing", note="x", now=T0
    )
    with pytest.raises(InvalidInput):
        await claims.reject_claim(sessionmaker, coord, claim.id, "   ", now=T0)
    rejected = await claims.reject_claim(sessionmaker, coord, claim.id, "no receipt", now=T0)
    assert rejected.status == ExpenseStatus.REJECTED and rejected.reject_reason == "no receipt"
    with pytest.raises(Conflict) as err:
        await claims.approve_claim(sessionmaker, coord, claim.id, now=T0)
    assert err.value.key == "budget.claim.already_rejected"
    assert (await budget.budget_status(sessionmaker)).spent == 0


async def test_coordinator_expense_is_approved_directly_but_not_by_themselves_later(
    sessionmaker: SM,
) -> None:
    coord, _, _ = await _setup(sessionmaker)
    own = await expenses.record_expense(
        sessionmaker, coord, amount=JT, currency="IDR", category="Printing", note="", now=T0
    )
    # Approved and settled by them at once: counted as spent, owed to nobody (issue #17).
    assert own.status == ExpenseStatus.PAID and own.reviewed_by == "Citra" and own.self_settled
    assert await outbox_rows(sessionmaker, BUDGET_CLAIM_REVIEW.name) == []
    assert (await audits(sessionmaker, "budget.expense.record_approved"))[0]["after"][
        "status"
    ] == "paid"
    status = await budget.budget_status(sessionmaker)
    assert (status.spent, status.owed, status.owed_count) == (JT, 0, 0)


async def test_alerts_fire_once_at_80_and_100_percent(sessionmaker: SM) -> None:
    coord, _, vol = await _setup(sessionmaker)
    await expenses.record_expense(
        sessionmaker, coord, amount=3 * JT, currency="IDR", category="Printing", note="", now=T0
    )
    assert await outbox_rows(sessionmaker, BUDGET_LINE_ALERT.name) == []
    claim = await expenses.record_expense(
        sessionmaker, vol, amount=JT, currency="IDR", category="Printing", note="", now=T0
    )
    assert await outbox_rows(sessionmaker, BUDGET_LINE_ALERT.name) == []  # pending is not spent
    await claims.approve_claim(sessionmaker, coord, claim.id, now=T0)
    alerts = await outbox_rows(sessionmaker, BUDGET_LINE_ALERT.name)
    assert sorted((r.params["threshold"], r.chat_id) for r in alerts) == [(80, 10), (80, 11)]
    await expenses.record_expense(
        sessionmaker, coord, amount=JT // 2, currency="IDR", category="Printing", note="", now=T0
    )
    assert len(await outbox_rows(sessionmaker, BUDGET_LINE_ALERT.name)) == 2  # 90 %: nothing new
    await expenses.record_expense(
        sessionmaker, coord, amount=JT, currency="IDR", category="Printing", note="", now=T0
    )
    alerts = await outbox_rows(sessionmaker, BUDGET_LINE_ALERT.name)
    assert sorted(r.params["threshold"] for r in alerts) == [80, 80, 100, 100]
    await expenses.record_expense(
        sessionmaker, coord, amount=JT, currency="IDR", category="Printing", note="", now=T0
    )
    assert len(await outbox_rows(sessionmaker, BUDGET_LINE_ALERT.name)) == 4
    async with sessionmaker() as session:
        line = await session.scalar(select(BudgetLine))
        assert line is not None and line.alert_80_at and line.alert_100_at


async def test_unknown_category_and_bad_amounts_change_nothing(sessionmaker: SM) -> None:
    _, _, vol = await _setup(sessionmaker)
    with pytest.raises(NotFound) as err:
        await expenses.record_expense(
            sessionmaker, vol, amount=JT, currency="IDR", category="Konsumsi", note="", now=T0
        )
    assert err.value.key == "budget.unknown_category" and "Printing" in err.value.params["known"]
    with pytest.raises(InvalidInput):
        await expenses.record_expense(
            sessionmaker, vol, amount=0, currency="IDR", category="Printing", note="", now=T0
        )
    with pytest.raises(InvalidInput):
        await expenses.record_expense(
            sessionmaker,
            vol,
            amount=JT,
            currency="IDR",
            category="Printing",
            note="",
            receipt=Receipt("BQACdoc", "document", "application/pdf", 100),
            now=T0,
        )
    with pytest.raises(NotAllowed):
        await budget.set_budget_line(
            sessionmaker, vol, category="Transport", planned=JT, currency="IDR", now=T0
        )
    assert await count(sessionmaker, Expense) == 0
    assert await count(sessionmaker, BudgetLine) == 1


async def test_void_rules_and_ledger_agrees_with_status(sessionmaker: SM) -> None:
    coord, _, vol = await _setup(sessionmaker)
    other = await make_actor(sessionmaker, 21, Role.VOLUNTEER, "Budi")
    fund = await budget.record_fund(
        sessionmaker, coord, amount=10 * JT, currency="IDR", source="Donasi", note=None, now=T0
    )
    mine = await expenses.record_expense(
        sessionmaker,
        vol,
        amount=25_000_000,
        currency="IDR",
        category="Printing",
        note="flyer",
        now=T0,
    )
    with pytest.raises(NotAllowed):
        await expenses.void_expense(sessionmaker, other, mine.id, "not mine", now=T0)
    await claims.approve_claim(sessionmaker, coord, mine.id, now=T0)
    with pytest.raises(NotAllowed):  # approved: only the budget managers may void it now
        await expenses.void_expense(sessionmaker, vol, mine.id, "oops", now=T0)
    second = await expenses.record_expense(
        sessionmaker, vol, amount=7_512_345, currency="IDR", category="Printing", note="", now=T0
    )
    withdrawn = await expenses.void_expense(sessionmaker, vol, second.id, "typo", now=T0)
    assert withdrawn.status == ExpenseStatus.VOID
    with pytest.raises(Conflict):
        await expenses.void_expense(sessionmaker, coord, second.id, "again", now=T0)
    await expenses.record_expense(
        sessionmaker,
        coord,
        amount=123_456_700,
        currency="IDR",
        category="Printing",
        note="banner",
        now=T0,
    )
    await budget.void_fund(sessionmaker, coord, fund.id, "bounced", now=T0)
    await budget.record_fund(
        sessionmaker, coord, amount=3 * JT, currency="IDR", source="Iuran", note=None, now=T0
    )

    status = await budget.budget_status(sessionmaker)
    assert status.spent == 25_000_000 + 123_456_700
    assert status.received == 3 * JT
    ledger = await budget_exports.ledger_csv(
        sessionmaker, coord, timezone="Asia/Jakarta", currency="IDR"
    )
    rows = list(csv.reader(io.StringIO(ledger.csv_bytes.decode("utf-8-sig"))))
    entries = [r for r in rows[1:] if r and r[0]]
    assert len(entries) == ledger.rows == 5  # voided entries stay in the ledger
    spent = sum(
        Decimal(r[5]) for r in entries if r[1] == "expense" and r[3] in ("approved", "paid")
    )
    totals = {r[1]: Decimal(r[5]) for r in rows if r and not r[0] and len(r) > 5}
    assert spent == totals["total_spent"] == Decimal(status.spent) / 100
    assert totals["total_received"] == Decimal(status.received) / 100
    voided = [r for r in entries if r[3].startswith("void")]
    assert {r[12] for r in voided} == {"typo", "bounced"}
    with pytest.raises(NotAllowed):
        await budget_exports.ledger_csv(sessionmaker, vol, timezone="Asia/Jakarta", currency="IDR")


async def test_two_coordinators_approving_at_once_approve_once(sessionmaker: SM) -> None:
    coord, coord2, vol = await _setup(sessionmaker)
    filed = [
        await expenses.record_expense(
            sessionmaker,
            vol,
            amount=JT,
            currency="IDR",
            category="Printing",
            note=str(i),
            now=T0,
        )
        for i in range(5)
    ]
    results = await asyncio.gather(
        *(
            claims.approve_claim(sessionmaker, who, claim.id, now=T0)
            for claim in filed
            for who in (coord, coord2)
        ),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, BaseException)]
    assert len(wins) == 5 and all(isinstance(e, Conflict) for e in losses)
    assert len(await audits(sessionmaker, "budget.claim.approve")) == 5
    assert len(await outbox_rows(sessionmaker, BUDGET_CLAIM_OUTCOME.name)) == 5
    status = await budget.budget_status(sessionmaker)
    assert status.spent == 5 * JT
    # 5 of 5 jt spent: 80 % and 100 % each fired exactly once, for both coordinators.
    alerts = await outbox_rows(sessionmaker, BUDGET_LINE_ALERT.name)
    assert sorted(r.params["threshold"] for r in alerts) == [80, 80, 100, 100]
