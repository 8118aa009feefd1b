"""Every user-facing string is a catalog key with English and Bahasa Indonesia text.

Catalogs live in `bot/locales/<lang>/<area>.toml` (one file per feature area so
areas can grow independently); nested tables become dotted keys
(`[start] welcome = ...` is `start.welcome`).  Templates are HTML for
Telegram's `parse_mode=HTML`: parameters are HTML-escaped when filled in,
unless the caller marks them as already-safe `Html`.  That makes escaping user
text the default instead of something each handler must remember.
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("id", "en")
_FORMATTER = string.Formatter()


class Html(str):
    """A fragment that is already valid Telegram HTML; inserted without escaping."""

    __slots__ = ()


class CatalogError(Exception):
    pass


def escape(text: object) -> str:
    return html.escape(str(text), quote=False)


def normalize_language(code: str | None, default: str = "id") -> str:
    """Telegram's `language_code` ('en-US', 'id', legacy 'in') to a catalog language."""
    if not code:
        return default
    base = code.split("-")[0].split("_")[0].lower()
    if base == "in":
        return "id"
    return base if base in LANGUAGES else default


def placeholders(template: str) -> set[str]:
    return {
        field.split(".")[0].split("[")[0]
        for _, field, _, _ in _FORMATTER.parse(template)
        if field is not None and field != ""
    }


def _flatten(prefix: str, table: Mapping[str, Any], into: dict[str, str], source: Path) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            _flatten(full, value, into, source)
        elif isinstance(value, str):
            if full in into:
                raise CatalogError(f"{source}: key {full!r} is defined twice")
            into[full] = value
        else:
            raise CatalogError(f"{source}: {full!r} must be a string")


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
        for candidate in (lang, self.default_language, *LANGUAGES):
            template = self.catalogs.get(candidate, {}).get(key)
            if template is not None:
                return template
        raise KeyError(f"missing i18n key {key!r}")

    def t(self, lang: str, key: str, /, **params: Any) -> str:
        template = self.raw(lang, key)
        safe = {k: v if isinstance(v, Html) else escape(v) for k, v in params.items()}
        return template.format_map(safe)


def catalog_problems(catalogs: dict[str, dict[str, str]]) -> list[str]:
    """Keys missing in a language or whose placeholders differ: used by a test and CI."""
    problems: list[str] = []
    all_keys = set().union(*(set(c) for c in catalogs.values()))
    for key in sorted(all_keys):
        present = {lang: catalogs[lang][key] for lang in LANGUAGES if key in catalogs[lang]}
        for lang in LANGUAGES:
            if lang not in present:
                problems.append(f"{key}: missing in {lang}")
        fields = {lang: placeholders(text) for lang, text in present.items()}
        if len({frozenset(f) for f in fields.values()}) > 1:
            problems.append(f"{key}: placeholders differ {fields}")
    return problems
