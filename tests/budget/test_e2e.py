"""The budget through the real bot and the sandbox: set a budget, file a claim with a receipt,
approve it by button, see the 80 % alert arrive, and check /budget against the ledger CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import select, update

from bot.delivery.kinds import BUDGET_LINE_ALERT
from bot.money import format_money
from bot.services.budget import lines as budget
from models import Expense, ExpenseStatus, Person
from sandbox import SandboxMessage, SandboxUser
from tests.budget.factories import outbox_rows
from tests.support.harness import BotHarness, deliver

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200  # enough of a JPEG for Telegram's photo path


def _csv_of(bot: BotHarness, message: SandboxMessage) -> list[list[str]]:
    assert message.document is not None, message.text
    stored = bot.sandbox.world.files.get(message.document["file_id"])
    assert stored is not None
    return list(csv.reader(io.StringIO(stored.content.decode("utf-8-sig"))))


async def _file_claim(vol: SandboxUser) -> SandboxMessage:
    ask = await vol.send_and_wait("/expense")
    assert "Berapa" in ask.text
    cats = await vol.send_and_wait("1,5jt")
    assert "Printing" in cats.button_texts
    note = await vol.press(cats, "Printing", expect="edit")
    assert note.message is not None and "keperluan" in note.message.text
    ask_receipt = await vol.send_and_wait("flyer RW 05")
    assert "struk" in ask_receipt.text.lower()
    # A PDF and an oversized image are refused; the flow stays at the receipt step.
    await vol.upload_document(b"%PDF-1.4", "nota.pdf", mime_type="application/pdf")
    assert "bukan gambar" in (await vol.next_message()).text
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024)
    await vol.upload_document(big, "scan.png", mime_type="image/png")
    assert "terlalu besar" in (await vol.next_message()).text
    await vol.upload_photo(JPEG, caption="struk")
    confirm = await vol.next_message()
    assert "Rp1.500.000" in confirm.text and "flyer RW 05" in confirm.text
    saved = await vol.press(confirm, "✅ Simpan", expect="edit")
    assert saved.message is not None
    return saved.message


async def test_budget_claim_receipt_approval_alert_and_ledger(bot: BotHarness) -> None:
    admin = bot.admin
    vol = bot.user(2, "Ani", "id")

    line = await admin.send_and_wait("/budgetline Printing 5jt")
    assert "Printing" in line.text and "5,000,000" in line.text
    fund = await admin.send_and_wait("/fund 10jt Donasi Pak Budi | transfer BCA")
    assert "Donasi Pak Budi" in fund.text and "10,000,000" in fund.text
    own = await admin.send_and_wait("/expense 3jt Printing banner")
    assert "approved" in own.text
    # Outbox messages use the language a person chose; the admin chooses English.
    async with bot.db.begin() as session:
        await session.execute(update(Person).where(Person.telegram_id == 1).values(language="en"))

    filed = await _file_claim(vol)
    assert "Klaim E2 terkirim" in filed.text
    async with bot.db() as session:
        claim = await session.get(Expense, 2)
        assert claim is not None and claim.status == ExpenseStatus.PENDING
        assert claim.receipt_kind == "photo" and claim.receipt_size == len(JPEG)
        receipt_id = claim.receipt_file_id

    await deliver(bot)
    review = await admin.next_message(predicate=lambda m: "Claim E2" in m.text)
    assert review.button_texts == ["✅ Approve", "❌ Reject", "🧾 Receipt"]
    assert "Ani" in review.text and "1,500,000" in review.text
    photo = await admin.press(review, "🧾 Receipt", expect="message")
    assert photo.message is not None and photo.message.photo is not None
    assert photo.message.photo[-1]["file_id"] == receipt_id

    approved = await admin.press(review, "✅ Approve", expect="edit")
    assert approved.message is not None and "You approved" in approved.message.text
    assert approved.message.button_texts == ["💸 Mark paid", "🧾 Receipt"]  # what is left to do
    # 4.5 of 5 jt: the 80 % alert is queued with the approval and arrives once delivered.
    alerts = await outbox_rows(bot.db, BUDGET_LINE_ALERT.name)
    assert [(a.chat_id, a.params["threshold"]) for a in alerts] == [(1, 80)]
    await deliver(bot)
    alert = await admin.next_message(predicate=lambda m: "passed" in m.text)
    assert "Printing" in alert.text and "80%" in alert.text and "90%" in alert.text
    told = await vol.next_message(predicate=lambda m: "E2" in m.text)
    assert "disetujui" in told.text

    # Reimburse from /claims: the approved claim has a "Mark paid" button.
    await admin.send("/claims")
    owed = await admin.next_message(
        predicate=lambda m: "💸 Mark paid" in m.button_texts and "E2" in m.text
    )
    assert "Ani" in owed.text and "🧾 Receipt" in owed.button_texts
    paid = await admin.press(owed, "💸 Mark paid", expect="edit")
    assert paid.message is not None and "marked as paid" in paid.message.text
    await deliver(bot)
    assert "sudah diganti" in (await vol.next_message(predicate=lambda m: "E2" in m.text)).text

    # /budget and the ledger CSV agree to the rupiah.
    shown = await admin.send_and_wait("/budget")
    status = await budget.budget_status(bot.db)
    assert status.spent == 450_000_000 and status.received == 1_000_000_000
    spent_text = format_money(status.spent, "IDR", "en")
    assert f"spent {spent_text} of" in shown.text
    assert f"balance {format_money(status.balance, 'IDR', 'en')}" in shown.text
    assert "90%" in shown.text
    ledger = await admin.send_and_wait("/ledger")
    rows = _csv_of(bot, ledger)
    entries = [r for r in rows[1:] if r and r[0]]
    counted = sum(
        Decimal(r[5]) for r in entries if r[1] == "expense" and r[3] in ("approved", "paid")
    )
    totals = {r[1]: Decimal(r[5]) for r in rows if r and not r[0] and len(r) > 5}
    assert counted == totals["total_spent"] == Decimal(4_500_000)
    assert format_money(int(counted * 100), "IDR", "en") == spent_text
    assert {r[0] for r in entries} == {"F1", "E1", "E2"}


async def test_refusals_are_clear_and_change_nothing(bot: BotHarness) -> None:
    admin = bot.admin
    vol = bot.user(3, "Budi", "id")
    assert "Belum ada kategori" in (await vol.send_and_wait("/expense")).text
    await admin.send_and_wait("/budgetline Transport 2jt")
    assert "🚫" in (await vol.send_and_wait("/budget")).text
    assert "🚫" in (await vol.send_and_wait("/fund 1jt Saya")).text
    assert "minus" in (await vol.send_and_wait("/expense -5000 Transport ojek")).text
    assert "nol" in (await vol.send_and_wait("/expense 0 Transport ojek")).text
    assert "terlalu besar" in (await vol.send_and_wait("/expense 99999jt Transport")).text
    unknown = await vol.send_and_wait("/expense 50rb Konsumsi nasi")
    assert "Konsumsi" in unknown.text and "Transport" in unknown.text
    filed = await vol.send_and_wait("/expense 50rb Transport ojek")
    assert "E1" in filed.text
    # The coordinators hear of the claim now (10:00, no quiet hours): let that notice out
    # before the admin's next command, so it is not taken for the command's reply.
    await deliver(bot)
    other = bot.user(4, "Cici", "id")
    refused = await other.send_and_wait("/void E1 bukan punya saya")
    assert "🚫" in refused.text
    wrong = await admin.send_and_wait("/void")
    assert "/void" in wrong.text
    async with bot.db() as session:
        statuses = (await session.scalars(select(Expense.status))).all()
    assert statuses == [ExpenseStatus.PENDING]
    voided = await vol.send_and_wait("/void E1 salah ketik")
    assert "dibatalkan" in voided.text

    # Reject by button: the reviewer is asked why, and the volunteer reads the reason.
    await vol.send_and_wait("/expense 80rb Transport bensin")
    await deliver(bot)
    review = await admin.next_message(predicate=lambda m: "E2" in m.text)
    # E1's review (sent before the volunteer voided it) no longer approves anything.
    stale = next(m for m in admin.bot_messages() if "E1" in m.text and m.button_texts)
    # The admin never chose a language: buttons follow Telegram's (en), like replies do.
    late = await admin.press(stale, "✅ Approve", expect="answer")
    assert late.answer.text == "E1 was voided."
    asked = await admin.press(review, "❌ Reject", expect="message")
    assert asked.message is not None and "E2" in asked.message.text
    done = await admin.send_and_wait("tanpa struk")
    assert "rejected" in done.text and "tanpa struk" in done.text
    await deliver(bot)
    told = await vol.next_message(predicate=lambda m: "E2" in m.text)
    assert "ditolak" in told.text and "tanpa struk" in told.text
