"""Every key exists in English and Bahasa Indonesia with the same placeholders."""

from __future__ import annotations

from bot.views.i18n import Html, I18n, catalog_problems, load_catalogs, normalize_language


def test_catalogs_complete_and_consistent() -> None:
    assert catalog_problems(load_catalogs()) == []


def test_catalog_problems_reports_missing_keys_and_placeholder_drift() -> None:
    broken = {"en": {"a": "Hi {name}", "b": "x"}, "id": {"a": "Hai {nama}"}}
    problems = catalog_problems(broken)
    assert "b: missing in id" in problems
    assert any(p.startswith("a: placeholders differ") for p in problems)


def test_params_are_escaped_unless_marked_html() -> None:
    i18n = I18n("en", {"en": {"k": "<b>{who}</b> {extra}"}, "id": {"k": "<b>{who}</b> {extra}"}})
    assert i18n.t("en", "k", who="<script>&", extra=Html("<i>ok</i>")) == (
        "<b>&lt;script&gt;&amp;</b> <i>ok</i>"
    )


def test_language_codes_from_telegram() -> None:
    assert normalize_language("en-US") == "en"
    assert normalize_language("in") == "id"
    assert normalize_language("fr", default="id") == "id"
    assert normalize_language(None, default="en") == "en"


def test_every_command_has_a_description() -> None:
    from bot.features import command_table

    catalogs = load_catalogs()
    for spec in command_table():
        for lang in ("en", "id"):
            assert spec.description_key in catalogs[lang], (spec.name, lang)
