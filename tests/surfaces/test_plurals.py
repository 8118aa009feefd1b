"""Counts read right in both languages (issue #17): "1 member", "2 members", never "1 people".

Messages with a count are CLDR plural tables chosen by Babel's rules for the reader's
language; Indonesian has one form, English two.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.views.i18n import FORM_SEPARATOR, I18n, load_catalogs, placeholders, plural_category
from tests.conftest import T0
from tests.support.harness import start_harness

NOUNS = (
    "people|persons|members|events|shifts|tasks|places|volunteers|hours|copies|entries|"
    "attendees|recipients|claims|teams|skills|messages|days|times"
)
# "{count} people", "<b>{n}</b> shifts": a count written straight before a plural noun.
COUNTED = re.compile(r"\{(\w+)\}(?:</b>)? (?:" + NOUNS + r")\b")
ONE_WITH_PLURAL = re.compile(r"(?<![\d.,])1(?:</b>)? (?:" + NOUNS + r")\b")


def test_babel_plural_rules() -> None:
    assert [plural_category("en", n) for n in (0, 1, 2, 21)] == ["other", "one", "other", "other"]
    assert plural_category("id", 1) == "other"


def test_every_english_count_before_a_noun_is_a_plural_table() -> None:
    catalog = load_catalogs()["en"]
    unconverted = [
        key
        for key, text in catalog.items()
        if FORM_SEPARATOR not in key
        and COUNTED.search(text)
        and f"{key}{FORM_SEPARATOR}one" not in catalog
    ]
    assert unconverted == []


@pytest.mark.parametrize("count", [1, 2])
def test_each_plural_message_in_english_at_one_and_two(count: int) -> None:
    catalogs = load_catalogs()
    i18n = I18n("en", catalogs)
    plural_keys = [k.split(FORM_SEPARATOR)[0] for k in catalogs["en"] if k.endswith("#one")]
    assert len(plural_keys) >= 25
    for key in plural_keys:
        by = catalogs["en"].get(f"{key}{FORM_SEPARATOR}by", "count")
        params: dict[str, object] = {p: "x" for p in placeholders(catalogs["en"][key])}
        params[by] = count
        text = i18n.t("en", key, **params)
        assert not ONE_WITH_PLURAL.search(text), (key, text)
        if count == 2:
            assert COUNTED.search(catalogs["en"][key]) is None or "2" in text, (key, text)
        # Indonesian has one form for every count, and it is the catalog's own text.
        assert i18n.t("id", key, **params) == catalogs["id"][key].format_map(
            {k: str(v) for k, v in params.items()}
        )


def test_a_plural_table_in_a_catalog_file_is_one_key(tmp_path: Path) -> None:
    for lang, text in (("en", 'n = { one = "1 member", other = "{count} members" }'),
                       ("id", 'n = "{count} anggota"')):
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "x.toml").write_text(text + "\n", encoding="utf-8")
    catalogs = load_catalogs.__wrapped__(tmp_path)
    i18n = I18n("en", catalogs)
    assert [i18n.t("en", "n", count=c) for c in (1, 2, 0)] == ["1 member", "2 members", "0 members"]
    assert i18n.t("id", "n", count=1) == "1 anggota"
    from bot.views.i18n import catalog_problems

    assert catalog_problems(catalogs) == []


async def test_team_members_read_one_member_then_two_members(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plural.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        admin = bot.admin
        ani = bot.user(2, "Ani", "en", username="ani")
        budi = bot.user(3, "Budi", "en", username="budi")
        for who in (admin, ani, budi):
            ask = await who.send_and_wait("/start")
            await who.press(ask, 1, expect="edit")
        await admin.send_and_wait("/team create Jaksel")
        await admin.send_and_wait("/team add Jaksel @ani")
        one = await admin.send_and_wait("/team Jaksel")
        listed_one = await admin.send_and_wait("/team")
        await admin.send_and_wait("/team add Jaksel @budi")
        two = await admin.send_and_wait("/team Jaksel")
        listed_two = await admin.send_and_wait("/team")
    assert "Jaksel: 1 member" in one.text and "1 members" not in one.text
    assert "Jaksel: 1 member," in listed_one.text
    assert "Jaksel: 2 members" in two.text
    assert "Jaksel: 2 members," in listed_two.text
