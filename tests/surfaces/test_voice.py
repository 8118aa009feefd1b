"""One voice per language (issue #17): each catalog is scanned for the forms we banned.

Bahasa Indonesia speaks to people as "kamu" (never "Anda"), calls a shift "shift" (not
"sif") and labels Back "Kembali" (not "Sebelumnya"); English writes money as English
readers do ("IDR 250,000", "250k"), not with Indonesian shorthand or grouping.
"""

from __future__ import annotations

import re

import pytest

from bot.money import format_money, parse_amount
from bot.views.i18n import load_catalogs

BANNED = {
    "id": [
        (re.compile(r"\banda\b", re.IGNORECASE), "second person is 'kamu', not 'Anda'"),
        (re.compile(r"\bsif\b", re.IGNORECASE), "a shift is 'shift', not 'sif'"),
    ],
    "en": [
        (re.compile(r"\d(?:rb|jt|ribu|juta)\b"), "Indonesian amount shorthand in English"),
        (re.compile(r"\bRp ?\d{1,3}(?:\.\d{3})+"), "Indonesian money grouping in English"),
        (re.compile(r"\bsif\b|\bAnda\b"), "Indonesian words in English"),
    ],
}
BUTTON_KEY = re.compile(r"(?:^|[._])(?:btn|button|back)(?:$|[._])")
BACK_WORD = {"id": "Kembali", "en": "Back"}


def banned_forms(lang: str, catalog: dict[str, str]) -> list[str]:
    problems = [
        f"{key}: {why}: {text!r}"
        for key, text in catalog.items()
        for pattern, why in BANNED[lang]
        if pattern.search(text)
    ]
    if lang == "id":
        problems += [
            f"{key}: Back is 'Kembali', not 'Sebelumnya': {text!r}"
            for key, text in catalog.items()
            if BUTTON_KEY.search(key) and "sebelumnya" in text.lower()
        ]
    return problems


@pytest.mark.parametrize("lang", ["id", "en"])
def test_catalog_has_no_banned_forms(lang: str) -> None:
    assert banned_forms(lang, load_catalogs()[lang]) == []


def test_the_scan_finds_each_banned_form() -> None:
    broken_id = {"a": "Klaim Anda", "b": "Ambil sif ini", "x.btn_prev": "◀️ Sebelumnya",
                 "ok": "Kamu sudah check-in sebelumnya."}
    assert [p.split(":")[0] for p in banned_forms("id", broken_id)] == ["a", "b", "x.btn_prev"]
    broken_en = {"a": "e.g. 250rb", "b": "costs Rp 75.000", "ok": "IDR 75,000 or 250k"}
    assert [p.split(":")[0] for p in banned_forms("en", broken_en)] == ["a", "b"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_back_buttons_say_back(lang: str) -> None:
    catalog = load_catalogs()[lang]
    for key in ("shifts.btn_prev", "broadcast.button_back"):
        assert BACK_WORD[lang] in catalog[key], key


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_amount_example_reads_as_the_amount_it_shows(lang: str) -> None:
    """The examples the bot offers are ones it understands, in the reader's own language."""
    catalog = load_catalogs()[lang]
    for key in ("budget.amount.empty", "budget.amount.unparseable", "budget.expense.ask_amount"):
        text = catalog[key]
        examples = re.findall(r"<code>([^<]+)</code>", text)
        assert examples, key
        for example in examples:
            assert parse_amount(example, currency="IDR", locale=lang) > 0, (key, example)


def test_money_reads_the_same_way_throughout_each_language() -> None:
    assert format_money(25_000_000, "IDR", "en") == "IDR\u00a0250,000"
    assert format_money(25_000_000, "IDR", "id") == "Rp250.000"
