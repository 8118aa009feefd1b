"""Every user-facing string is a catalog key with English and Bahasa Indonesia text.

Catalogs live in `bot/locales/<lang>/<area>.toml` (one file per feature area so
areas can grow independently); nested tables become dotted keys
(`[start] welcome = ...` is `start.welcome`).  Templates are HTML for
Telegram's `parse_mode=HTML`: parameters are HTML-escaped when filled in,
unless the caller marks them as already-safe `Html`.  That makes escaping user
text the default instead of something each handler must remember.

A message with a count is a table of CLDR plural forms, chosen by Babel's plural rules
for the reader's language (`Locale.plural_form`), never `{n} people`:

    invited = { by = "count", one = "… queued for 1 person.", other = "… for {count} people." }

`by` names the parameter that picks the form (default `count`, then `n`); `other` is
required.  A language without plural forms (Indonesian) may keep a plain string.
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import NumberFormatError, parse_decimal

# Re-exported: callers that render text already import the rest from here.
from bot.languages import LANGUAGES as LANGUAGES
from bot.languages import normalize_language as normalize_language

LOCALES_DIR = Path(__file__).parent.parent / "locales"
_FORMATTER = string.Formatter()
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
# Plural forms other than `other` are stored as "<key>#<category>", the selector as "<key>#by".
FORM_SEPARATOR = "#"


class Html(str):
    """A fragment that is already valid Telegram HTML; inserted without escaping."""

    __slots__ = ()


class CatalogError(Exception):
    pass


def escape(text: object) -> str:
    return html.escape(str(text), quote=False)


def placeholders(template: str) -> set[str]:
    return {
        field.split(".")[0].split("[")[0]
        for _, field, _, _ in _FORMATTER.parse(template)
        if field is not None and field != ""
    }


def _flatten(prefix: str, table: Mapping[str, Any], into: dict[str, str], source: Path) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and _is_plural(value):
            if full in into:
                raise CatalogError(f"{source}: key {full!r} is defined twice")
            into[full] = value["other"]
            for form, text in value.items():
                if form != "other":
                    into[f"{full}{FORM_SEPARATOR}{form}"] = text
        elif isinstance(value, Mapping):
            _flatten(full, value, into, source)
        elif isinstance(value, str):
            if full in into:
                raise CatalogError(f"{source}: key {full!r} is defined twice")
            into[full] = value
        else:
            raise CatalogError(f"{source}: {full!r} must be a string")


def _is_plural(table: Mapping[str, Any]) -> bool:
    return (
        "other" in table
        and set(table) <= PLURAL_CATEGORIES | {"by"}
        and all(isinstance(v, str) for v in table.values())
    )


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_category(lang: str, count: int | float | Decimal) -> str:
    """CLDR's plural category of `count` in `lang` ('one', 'other', ...)."""
    value: float | Decimal = Decimal(count) if isinstance(count, int) else count
    return str(_locale(lang).plural_form(-value if value < 0 else value))


def _as_number(value: object, lang: str) -> int | float | Decimal | None:
    """The count a plural form is chosen by: a number, or one already formatted ("1.234")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, str):
        try:
            return parse_decimal(value, locale=lang, strict=True)
        except NumberFormatError:
            return None
    return None


@cache
def load_catalogs(directory: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    catalogs: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        entries: dict[str, str] = {}
        for path in sorted((directory / lang).glob("*.toml")):
            with path.open("rb") as fh:
                _flatten("", tomllib.load(fh), entries, path)
        catalogs[lang] = entries
    return catalogs


class I18n:
    """Looks up and fills templates; missing keys fall back to the other language."""

    def __init__(
        self, default_language: str = "id", catalogs: dict[str, dict[str, str]] | None = None
    ):
        self.default_language = default_language
        self.catalogs = catalogs if catalogs is not None else load_catalogs()

    def has(self, key: str) -> bool:
        return any(key in c for c in self.catalogs.values())

    def raw(self, lang: str, key: str) -> str:
        return self._lookup(lang, key)[1]

    def _lookup(self, lang: str, key: str) -> tuple[str, str]:
        for candidate in (lang, self.default_language, *LANGUAGES):
            template = self.catalogs.get(candidate, {}).get(key)
            if template is not None:
                return candidate, template
        raise KeyError(f"missing i18n key {key!r}")

    def _template(self, lang: str, key: str, params: Mapping[str, Any]) -> str:
        found_in, template = self._lookup(lang, key)
        catalog = self.catalogs[found_in]
        by = catalog.get(f"{key}{FORM_SEPARATOR}by")
        names = (by,) if by else ("count", "n")
        count = _as_number(next((params[n] for n in names if n in params), None), found_in)
        if count is None:
            return template
        form = plural_category(found_in, count)
        return catalog.get(f"{key}{FORM_SEPARATOR}{form}", template)

    def t(self, lang: str, key: str, /, **params: Any) -> str:
        """The filled template as Telegram HTML.

        The value is an `Html` (typed `str` so callers' lists of lines stay `list[str]`):
        a catalog text passed into another one is not escaped twice, and plain-text
        surfaces (`bot.views.render.to_plain`, `Button`) know to strip it.
        """
        template = self._template(lang, key, params)
        safe = {k: v if isinstance(v, Html) else escape(v) for k, v in params.items()}
        return Html(template.format_map(safe))


def catalog_problems(catalogs: dict[str, dict[str, str]]) -> list[str]:
    """Keys missing in a language or whose placeholders differ: used by a test and CI."""
    problems: list[str] = []
    all_keys = {k for c in catalogs.values() for k in c if FORM_SEPARATOR not in k}
    for lang, catalog in catalogs.items():
        for key, text in catalog.items():
            if FORM_SEPARATOR not in key:
                continue
            base, form = key.split(FORM_SEPARATOR, 1)
            if base not in catalog:
                problems.append(f"{key}: plural form without its 'other' in {lang}")
            elif form == "by":
                if text not in placeholders(catalog[base]):
                    problems.append(f"{key}: selector {text!r} is not a placeholder of {base}")
            elif form not in PLURAL_CATEGORIES:
                problems.append(f"{key}: unknown plural form in {lang}")
            elif not placeholders(text) <= placeholders(catalog[base]):
                problems.append(f"{key}: placeholders beyond those of {base} in {lang}")
    for key in sorted(all_keys):
        present = {lang: catalogs[lang][key] for lang in LANGUAGES if key in catalogs[lang]}
        for lang in LANGUAGES:
            if lang not in present:
                problems.append(f"{key}: missing in {lang}")
        fields = {lang: placeholders(text) for lang, text in present.items()}
        if len({frozenset(f) for f in fields.values()}) > 1:
            problems.append(f"{key}: placeholders differ {fields}")
    return problems
