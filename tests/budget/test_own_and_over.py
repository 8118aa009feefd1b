"""Money says the right thing (issue #17), in both languages: the coordinator's own expense
is not owed to themselves (not in /claims' "to reimburse", not in /budget's "not yet paid"),
and overspending a line shows ⚠️ "over by …" in /budget, to the one recording (a claim: "if
approved") and in the line's alert."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.money import format_money
from bot.views.i18n import load_catalogs
from bot.views.render import to_plain
from models import Expense, ExpenseStatus
from sandbox import SandboxMessage
from tests.conftest import T0
from tests.support.harness import deliver, start_harness

NOTHING_OWED = {"en": "nothing is owed to you", "id": "tidak ada yang perlu diganti"}
NOT_YET_PAID = {"en": "approved, not yet paid: 0 (", "id": "disetujui, belum dibayar: 0 ("}
IF_APPROVED = {"en": "If this is approved, Printing will be over its budget by {}",
               "id": "Kalau ini disetujui, Printing akan melebihi anggarannya sebesar {}"}
OVER_NOW = {"en": "⚠️ Printing is now over its budget by {}",
            "id": "⚠️ Printing sekarang melebihi anggarannya sebesar {}"}
LINE_OVER = {"en": "over by {}", "id": "kelebihan {}"}
ALERT = {"en": "⚠️ Budget line Printing is over budget by {}",
         "id": "⚠️ Pos anggaran Printing melebihi anggaran sebesar {}"}


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_own_expense_is_not_owed_and_overspending_warns(tmp_path: Path, lang: str) -> None:
    catalog = load_catalogs()[lang]
    owed_none = to_plain(catalog["budget.claims.owed_title"].format(count=0))
    budget_title = to_plain(catalog["budget.status.title"])
    half = format_money(50_000_000, "IDR", lang)  # Rp 500,000 in minor units

    def is_budget(message: SandboxMessage) -> bool:
        return message.text.startswith(budget_title)

    url = f"sqlite+aiosqlite:///{tmp_path / 'money.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        admin, ani = bot.user(1, "Admin", lang), bot.user(5, "Ani", lang)
        await ani.send_and_wait("/start")
        await admin.send_and_wait("/budgetline Printing 2000000")
        await admin.send_and_wait("/fund 10000000 Donasi")
        own = await admin.send_and_wait("/expense 1000000 Printing banner")
        claim = await ani.send_and_wait("/expense 1500000 Printing flyer")
        await deliver(bot)  # the claim's review card reaches the admin now, not mid-command
        await admin.next_message(predicate=lambda m: "E2" in m.text)
        await admin.send("/claims")
        owed = await admin.next_message(predicate=lambda m: m.text.startswith("💸"))
        before = await admin.send_and_wait("/budget", predicate=is_budget)
        over = await admin.send_and_wait("/expense 1500000 Printing stiker")
        # The over-budget alert goes through the outbox, whose own loop may deliver it
        # before or after the next reply: each message is told apart by what it is.
        await admin.send("/budget")
        shown = await admin.next_message(predicate=is_budget)
        await deliver(bot)
        alert = await admin.next_message(after=over, predicate=lambda m: "Printing" in m.text
                                         and not is_budget(m))
        async with bot.db() as session:
            statuses = (await session.scalars(select(Expense.status).order_by(Expense.id))).all()
    assert NOTHING_OWED[lang] in own.text
    assert owed.text == owed_none  # the admin's own expense is nobody's debt
    assert NOT_YET_PAID[lang] in before.text and "⚠️" not in before.text
    assert IF_APPROVED[lang].format(half) in claim.text
    assert OVER_NOW[lang].format(half) in over.text
    line = next(x for x in shown.text.split("\n\n")[0].split("Printing", 1)[1:])
    assert "⚠️" in shown.text and LINE_OVER[lang].format(half) in line
    assert ALERT[lang].format(half) in alert.text
    assert statuses == [ExpenseStatus.PAID, ExpenseStatus.PENDING, ExpenseStatus.PAID]
