"""Exports are safe to open in a spreadsheet and amounts are in the currency's own digits;
rupiah amounts with cents are refused with a clear answer (issue #17)."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.money import AmountParseError, major_units, parse_amount
from bot.services.csv_export import render_csv, safe_cell
from tests.conftest import T0
from tests.support.harness import start_harness

ROOT = Path(__file__).resolve().parents[2]
FRACTION = {
    "en": "“12,50” has cents, but amounts in this currency are whole numbers.",
    "id": "“12,50” pakai sen, padahal jumlah di mata uang ini selalu bulat.",
}


@pytest.mark.parametrize(
    ("value", "seen"),
    [
        ("=HYPERLINK(\"http://x\",\"hi\")", "'=HYPERLINK(\"http://x\",\"hi\")"),
        ("+62 812 555", "'+62 812 555"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("-5000", "-5000"),  # a plain number stays a number: the balance must sum
        ("12.50", "12.50"),
        ("Ani = coordinator", "Ani = coordinator"),
        (None, ""),
        (7, 7),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_neutralised(value: object, seen: object) -> None:
    assert safe_cell(value) == seen


def test_render_csv_makes_every_cell_safe_header_included() -> None:
    text = render_csv(["=name"], [["=1+1", "ok"], ["@x", -3]])
    assert list(csv.reader(io.StringIO(text))) == [["'=name"], ["'=1+1", "ok"], ["'@x", "-3"]]


def test_every_csv_in_the_code_goes_through_the_shared_writer() -> None:
    users = []
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]:
        if "sandbox" in path.parts or path.name == "csv_export.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            if "csv" in names:
                users.append(str(path.relative_to(ROOT)))
    assert users == []


def test_amounts_in_the_currencys_own_digits_and_idr_refuses_cents() -> None:
    assert major_units(25_000_000, "IDR") == "250000"
    assert major_units(1250, "USD") == "12.50"
    assert major_units(1500, "JPY") == "1500"
    for text in ("Rp12,50", "12.50", "1,5", "0.500", "Rp75.000,50"):
        with pytest.raises(AmountParseError) as info:
            parse_amount(text, currency="IDR", locale="id")
        assert info.value.reason == "fraction"
    assert parse_amount("1,5jt", currency="IDR", locale="id") == 150_000_000
    assert parse_amount("12.50", currency="USD", locale="en") == 1250


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_ledger_is_spreadsheet_safe_and_cents_are_refused(tmp_path: Path, lang: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        admin = bot.user(1, "Admin", lang)
        await admin.send_and_wait("/budgetline Printing 5000000")
        refused = await admin.send_and_wait("/fund 12,50 Kas")
        await admin.send_and_wait("/fund 250000 @attacker | +62 812 555")
        ledger = await admin.send_and_wait("/ledger")
        assert ledger.document is not None
        stored = bot.sandbox.world.files.get(ledger.document["file_id"])
        assert stored is not None
    assert FRACTION[lang] in refused.text
    rows = list(csv.reader(io.StringIO(stored.content.decode("utf-8-sig"))))
    (fund,) = [r for r in rows[1:] if r and r[0].startswith("F")]
    assert fund[5] == "250000" and fund[6] == "IDR"  # rupiah have no cents: no ".00"
    assert fund[8] == "'@attacker — +62 812 555"
