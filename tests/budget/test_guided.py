"""The guided /expense (handlers/guided.py): a bad answer is asked again with every earlier
answer kept, and two taps on Save record one expense (the second is told it is done)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import flows
from bot.services.budget import expenses
from bot.services.budget import lines as budget
from bot.services.flows import FlowGone, FlowKey
from bot.views.guided import FlowSave
from models import Expense, FlowState, Role
from tests.budget.factories import T0, make_actor
from tests.support.harness import BotHarness

SM = async_sessionmaker[AsyncSession]

# What each language reads (bot/locales/<lang>/budget.toml and core.toml).
TEXTS = {
    "id": {
        "ask_amount": "Berapa",
        "unparseable": "tidak bisa saya baca",
        "unknown": "Tidak ada kategori",
        "ask_note": "keperluan",
        "ask_receipt": "struk",
        "expected": "sebagai foto",
        "skip": "Lewati (tanpa struk)",
        "save": "✅ Simpan",
        "amount": "50.000",
        "filed": "terkirim",
        "done": "sudah selesai",
    },
    "en": {
        "ask_amount": "How much",
        "unparseable": "can't read",
        "unknown": "There is no budget category",
        "ask_note": "What was it for",
        "ask_receipt": "receipt",
        "expected": "as a photo",
        "skip": "Skip (no receipt)",
        "save": "✅ Save",
        "amount": "50,000",
        "filed": "filed",
        "done": "already done",
    },
}


async def _count(bot: BotHarness, model: type) -> int:
    async with bot.db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_bad_answer_is_asked_again_and_keeps_the_earlier_ones(
    bot: BotHarness, lang: str
) -> None:
    text = TEXTS[lang]
    await bot.admin.send_and_wait("/budgetline Transport 2jt")
    vol = bot.user(2, "Ani", lang)
    assert text["ask_amount"] in (await vol.send_and_wait("/expense")).text
    # A bad amount: the reason, and the same question again.
    again = await vol.send_and_wait("lima puluh")
    assert text["unparseable"] in again.text and text["ask_amount"] in again.text
    cats = await vol.send_and_wait("50rb")
    assert "Transport" in cats.button_texts
    # A category that is no line: told so, asked again with the buttons.
    wrong = await vol.send_and_wait("Konsumsi")
    assert text["unknown"] in wrong.text and "Transport" in wrong.button_texts
    note = await vol.send_and_wait("transport")  # typed, in any case
    assert text["ask_note"] in note.text
    ask_receipt = await vol.send_and_wait("ojek ke posko")
    assert text["ask_receipt"] in ask_receipt.text.lower()
    # Text where a photo was asked for: the receipt question again, with its Skip button.
    no_photo = await vol.send_and_wait("tidak ada")
    assert text["expected"] in no_photo.text and text["skip"] in no_photo.button_texts
    skipped = await vol.press(no_photo, text["skip"], expect="edit")
    assert skipped.message is not None
    confirm = skipped.message
    # Every earlier answer is still there.
    assert text["amount"] in confirm.text and "Transport" in confirm.text
    assert "ojek ke posko" in confirm.text
    saved = await vol.press(confirm, text["save"], expect="edit")
    assert saved.message is not None and text["filed"] in saved.message.text
    assert await _count(bot, Expense) == 1


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_two_taps_on_save_record_one_expense(bot: BotHarness, lang: str) -> None:
    text = TEXTS[lang]
    await bot.admin.send_and_wait("/budgetline Transport 2jt")
    vol = bot.user(2, "Ani", lang)
    await vol.send_and_wait("/expense")
    cats = await vol.send_and_wait("50rb")
    await vol.press(cats, "Transport", expect="edit")
    skip = await vol.send_and_wait("ojek")
    confirm = await vol.press(skip, text["skip"], expect="edit")
    assert confirm.message is not None
    saved = await vol.press(confirm.message, text["save"], expect="edit")
    assert saved.message is not None and text["filed"] in saved.message.text
    # The same Save again (a double tap, or a copy of the message): nothing more is written.
    again = await vol.press(
        confirm.message.message_id, data=FlowSave("budget_expense").pack(), expect="answer"
    )
    assert text["done"] in (again.answer.text or "")
    assert await _count(bot, Expense) == 1
    assert await _count(bot, FlowState) == 0


async def test_concurrent_saves_write_once(sessionmaker: SM) -> None:
    """Two Saves racing (two replicas, a redelivered update): one expense, one FlowGone."""
    coord = await make_actor(sessionmaker, 1, Role.COORDINATOR)
    vol = await make_actor(sessionmaker, 2, Role.VOLUNTEER)
    await budget.set_budget_line(
        sessionmaker, coord, category="Transport", planned=200_000_000, currency="IDR",
        team_ref=None, event_id=None, now=T0,
    )
    await flows.start_flow(sessionmaker, vol.telegram_id, "budget_expense", "confirm", now=T0)
    key = FlowKey(vol.telegram_id, "budget_expense")
    results = await asyncio.gather(
        *(
            expenses.record_expense(
                sessionmaker, vol, amount=5_000_000, currency="IDR", category="Transport",
                note="ojek", now=T0, ends=key,
            )
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ExpenseView", "FlowGone"]
    assert any(isinstance(r, FlowGone) for r in results)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Expense)) == 1
        assert await session.get(FlowState, vol.telegram_id) is None
