"""How one person reads a message: language, timezone, currency; plus plain buttons.

Lives below `handlers/` so that outbox renderers (which run in the dispatcher,
not in a handler) format text exactly as interactive replies do.  `Button` is a
plain value; only the Telegram-facing code turns it into an inline keyboard.

Two kinds of surface: messages are Telegram HTML (`Reader.t`), while callback answers
(toasts, alerts) and button labels are shown by Telegram as plain text.  `to_plain` is
the one way from the first to the second (tags stripped, entities unescaped, cut to the
surface's limit); `Reader.plain` and `Button` use it, so a label or toast never shows
`<b>` or `&amp;`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.delivery.message import CAPTION_LIMIT, TEXT_LIMIT
from bot.money import format_money
from bot.views import formatting
from bot.views.callbacks import CALLBACK_DATA_LIMIT
from bot.views.i18n import Html, I18n

TELEGRAM_TEXT_LIMIT = TEXT_LIMIT
TELEGRAM_CAPTION_LIMIT = CAPTION_LIMIT
CALLBACK_ANSWER_LIMIT = 200  # characters of a toast or alert (Telegram refuses more)
BUTTON_TEXT_LIMIT = 64  # characters: longer labels are cut by the apps anyway

# The tags Telegram's HTML parse mode knows; only these are markup in our catalogs.
_TAG = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|a|code|pre|tg-spoiler|tg-emoji|span|"
    r"blockquote)(?:\s[^>]*)?>",
    re.IGNORECASE,
)


def to_plain(text: str, limit: int | None = None) -> str:
    """Telegram HTML to the plain text a toast, an alert or a button label shows.

    Tags go first and entities after, so user text escaped as `&lt;b&gt;` comes back as
    the `<b>` the person typed instead of vanishing.
    """
    plain = html.unescape(_TAG.sub("", text))
    return truncate(plain, limit) if limit is not None else plain


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; its label is always plain text (catalog HTML is stripped)."""

    text: str
    data: str | None = None  # callback_data (≤ 64 bytes, checked here)
    url: str | None = None
    web_app: str | None = None  # opens the Mini App at this URL (private chats only)

    def __post_init__(self) -> None:
        if [self.data, self.url, self.web_app].count(None) != 2:
            raise ValueError("a button needs exactly one of data, url or web_app")
        label = to_plain(self.text) if isinstance(self.text, Html) else str(self.text)
        object.__setattr__(self, "text", truncate(label, BUTTON_TEXT_LIMIT))
        if self.data is not None and len(self.data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data over 64 bytes: {self.data!r}")


Keyboard = Sequence[Sequence[Button]]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A rendered message: HTML text, an optional keyboard and an optional attachment."""

    text: str
    keyboard: Keyboard = ()
    photo: str | bytes | None = None  # file_id or bytes
    document: bytes | str | None = None
    filename: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reader:
    """One person reading: their language, timezone and currency, at a moment.

    `now` is the moment the text is written for (the app's clock: a test's moved clock
    too), so a renderer can tell whether an event has begun without a clock of its own.
    `campaign_tz` is the campaign's zone: a reader on another one (/tz WITA) reads times
    with their zone's label ("10:00 WITA"); the campaign's own stay unlabelled.
    """

    i18n: I18n
    lang: str
    tz: str
    currency: str
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    campaign_tz: str | None = None

    def zoned(self, text: str, moment: datetime) -> str:
        """`text` (a time at `moment`) with the reader's zone label when it is not the
        campaign's."""
        if self.campaign_tz is None or self.campaign_tz == self.tz:
            return text
        return f"{text} {formatting.zone_label(moment, self.tz)}"

    def t(self, key: str, /, **params: Any) -> str:
        """A message text: Telegram HTML (an `Html` value), parameters escaped."""
        return self.i18n.t(self.lang, key, **params)

    def plain(self, key: str, /, **params: Any) -> str:
        """A toast, alert or label text: plain, cut to a callback answer's 200 characters."""
        return to_plain(self.t(key, **params), CALLBACK_ANSWER_LIMIT)

    def when(self, moment: datetime) -> str:
        return self.zoned(formatting.format_datetime(moment, self.lang, self.tz), moment)

    def time_range(self, start: datetime, end: datetime) -> str:
        return self.zoned(formatting.format_time_range(start, end, self.lang, self.tz), start)

    def date(self, moment: datetime) -> str:
        return formatting.format_date(moment, self.lang, self.tz)

    def number(self, value: float) -> str:
        return formatting.format_number(value, self.lang)

    def percent(self, ratio: float) -> str:
        return formatting.format_percent(ratio, self.lang)

    def money(self, minor: int, currency: str | None = None) -> str:
        return format_money(minor, currency or self.currency, self.lang)


def pack_lines(lines: Iterable[str], limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Packs lines into as few messages as fit Telegram's limit, never splitting a line.

    Lines are whole HTML fragments (a tag never spans two lines in our catalogs), so
    every chunk stays valid HTML.  The raw length is an upper bound of the visible one.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if len(line) > limit:
            line = line[: limit - 1] + "…"
        extra = len(line) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
            extra = len(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current))
    return chunks or [""]


def truncate(text: str, limit: int) -> str:
    """Shortens plain (not yet escaped) user text for a message or a button label."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
