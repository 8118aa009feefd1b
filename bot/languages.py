"""The languages Gotong speaks, and how a Telegram language code maps onto one of them.

Foundation, not presentation: services pick the language a person is written to
(`bot.services.people.members.language_of`) and delivery picks it for outbox rows,
both without the catalogs; `bot.views.i18n` re-uses the same tuple for the catalogs.
"""

from __future__ import annotations

LANGUAGES = ("id", "en")


def normalize_language(code: str | None, default: str = "id") -> str:
    """Telegram's `language_code` ('en-US', 'id', legacy 'in') to a catalog language."""
    if not code:
        return default
    base = code.split("-")[0].split("_")[0].lower()
    if base == "in":
        return "id"
    return base if base in LANGUAGES else default
