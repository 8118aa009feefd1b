"""A claim card's buttons follow its state (issue #17): the reviewer's card, once a claim is
rejected with a reason, says "rejected: <reason>" and has no buttons; an approved claim's card
says so and offers Mark paid (and the receipt); a paid one keeps only the receipt.  In English
and Indonesian, through the real bot on the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from models import Expense, ExpenseStatus, Person
from sandbox import SandboxMessage
from tests.support.harness import BotHarness, deliver

SEEN = {
    "en": {"approve": "✅ Approve", "reject": "❌ Reject", "receipt": "🧾 Receipt",
           "paid_btn": "💸 Mark paid", "rejected": "❌ Rejected: no receipt",
           "approved": "✅ You approved this claim.", "paid": "E2 marked as paid.",
           "ask": "Why is E1 rejected?", "done": "E1 rejected. Reason: no receipt"},
    "id": {"approve": "✅ Setujui", "reject": "❌ Tolak", "receipt": "🧾 Struk",
           "paid_btn": "💸 Tandai sudah dibayar", "rejected": "❌ Ditolak: no receipt",
           "approved": "✅ Kamu menyetujui klaim ini.", "paid": "E2 ditandai sudah dibayar.",
           "ask": "Kenapa E1 ditolak?", "done": "E1 ditolak. Alasan: no receipt"},
}


def now_shown(bot: BotHarness, card: SandboxMessage) -> SandboxMessage:
    """The card as the reviewer sees it now (after edits)."""
    return next(m for m in bot.admin.bot_messages() if m.message_id == card.message_id)


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_a_claim_card_shows_its_state_and_only_the_buttons_that_apply(
    bot: BotHarness, lang: str
) -> None:
    seen = SEEN[lang]
    admin, vol = bot.admin, bot.user(2, "Ani", lang)
    await admin.send_and_wait("/budgetline Transport 2jt")
    async with bot.db.begin() as session:
        await session.execute(update(Person).where(Person.telegram_id == 1).values(language=lang))
    assert "E1" in (await vol.send_and_wait("/expense 80rb Transport bensin")).text
    assert "E2" in (await vol.send_and_wait("/expense 50rb Transport ojek")).text
    async with bot.db.begin() as session:  # E2 has a receipt (its card may predate it)
        await session.execute(
            update(Expense).where(Expense.id == 2).values(receipt_file_id="rcpt",
                                                          receipt_kind="photo")
        )
    await deliver(bot)
    first = await admin.next_message(predicate=lambda m: "E1" in m.text)
    second = await admin.next_message(predicate=lambda m: "E2" in m.text)
    assert first.button_texts == [seen["approve"], seen["reject"]]
    assert second.button_texts[:2] == [seen["approve"], seen["reject"]]

    # Reject E1 with a reason: the question comes below the card, the card stays until the
    # reason is saved, then it says why and has no buttons.
    asked = await admin.press(first, seen["reject"], expect="message")
    assert asked.message is not None and seen["ask"] in asked.message.text
    assert now_shown(bot, first).button_texts == [seen["approve"], seen["reject"]]
    done = await admin.send_and_wait("no receipt")
    assert seen["done"] in done.text
    card = now_shown(bot, first)
    assert seen["rejected"] in card.text and "Ani" in card.text
    assert card.button_texts == []

    # Approve E2: the card says so and offers what is left to do (pay; the receipt).
    approved = await admin.press(second, seen["approve"], expect="edit")
    assert approved.message is not None and seen["approved"] in approved.message.text
    assert approved.message.button_texts == [seen["paid_btn"], seen["receipt"]]
    paid = await admin.press(approved.message, seen["paid_btn"], expect="edit")
    assert paid.message is not None and seen["paid"] in paid.message.text
    assert paid.message.button_texts == [seen["receipt"]]
    async with bot.db() as session:
        statuses = (await session.scalars(select(Expense.status).order_by(Expense.id))).all()
        reason = await session.scalar(select(Expense.reject_reason).where(Expense.id == 1))
    assert statuses == [ExpenseStatus.REJECTED, ExpenseStatus.PAID]
    assert reason == "no receipt"
