"""The Telegram-facing end of the outbox: one send, its outcome, and the interactive meter.

This is the only module below `handlers/` that touches `telegram`: it turns an `Outgoing`
into `send_message`/`send_photo`/`send_document` (HTML, inline keyboard) and Telegram's
errors into the four things the dispatcher must distinguish:

* `Flood` (429): wait `retry_after`, send the same message again;
* `Blocked` (403: blocked, deactivated): the person is unreachable, stop;
* `Rejected` (400 and other permanent errors): failed with Telegram's reason;
* `Transient` (5xx, timeouts, network): retry later with backoff.

`InteractiveMeter` is a PTB rate limiter for everything *else* the bot sends (handlers'
replies): it never makes them queue behind the outbox; it takes a priority slot from the
same `Pacer`, so the outbox leaves room for them and neither side earns a 429.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.pacing import Pacer
from bot.render import Keyboard, Outgoing

log = logging.getLogger(__name__)

# Set while an outbox worker sends: those sends already hold a pacer slot.
_OUTBOX_SEND: contextvars.ContextVar[bool] = contextvars.ContextVar("outbox_send", default=False)
# Endpoints that post a message (counted by Telegram's flood limits); edits are not.
METERED_ENDPOINTS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendLocation",
        "sendMediaGroup",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "copyMessage",
        "forwardMessage",
    }
)
INTERACTIVE_FLOOD_RETRIES = 3


class Flood(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"429 retry after {retry_after}s")
        self.retry_after = retry_after


class Blocked(Exception):
    """403: the person blocked the bot or deleted their account."""


class Rejected(Exception):
    """400 or another answer that will not change if we try again."""


class Transient(Exception):
    """5xx, a timeout or a network error: the same send may work later."""


class Transport(Protocol):
    async def send(self, chat_id: int, message: Outgoing, *, paid: bool) -> int: ...

    async def edit(self, chat_id: int, message_id: int, text: str) -> None: ...


def keyboard_markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    # Same shape as handlers.common.markup; duplicated because the delivery engine must not
    # import handlers (layers go one way).
    rows = [
        [
            InlineKeyboardButton(b.text, callback_data=b.data)
            if b.data is not None
            else InlineKeyboardButton(b.text, url=b.url)
            for b in row
        ]
        for row in keyboard
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def retry_seconds(exc: RetryAfter) -> float:
    value: Any = exc.retry_after  # a timedelta (PTB_TIMEDELTA, see bot/__init__.py) or seconds
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PtbTransport:
    """Sends through the application's PTB bot (same HTTP pool, same base_url)."""

    def __init__(self, bot: Bot, *, read_timeout: float = 5.0) -> None:
        self.bot = bot
        self.read_timeout = read_timeout

    async def send(self, chat_id: int, message: Outgoing, *, paid: bool) -> int:
        token = _OUTBOX_SEND.set(True)
        try:
            return await self._send(chat_id, message, paid=paid)
        except RetryAfter as exc:
            raise Flood(retry_seconds(exc)) from exc
        except Forbidden as exc:
            raise Blocked(exc.message) from exc
        except (BadRequest, ChatMigrated) as exc:
            raise Rejected(str(exc)) from exc
        except NetworkError as exc:  # includes TimedOut and PTB's mapping of 5xx answers
            raise Transient(f"{type(exc).__name__}: {exc}") from exc
        finally:
            _OUTBOX_SEND.reset(token)

    async def _send(self, chat_id: int, message: Outgoing, *, paid: bool) -> int:
        common: dict[str, Any] = {
            "parse_mode": ParseMode.HTML,
            "reply_markup": keyboard_markup(message.keyboard),
            "read_timeout": self.read_timeout,
            **message.extra,
        }
        if paid:
            common["allow_paid_broadcast"] = True
        if message.photo is not None:
            sent = await self.bot.send_photo(
                chat_id, message.photo, caption=message.text or None, **common
            )
        elif message.document is not None:
            sent = await self.bot.send_document(
                chat_id,
                message.document,
                caption=message.text or None,
                filename=message.filename,
                **common,
            )
        else:
            sent = await self.bot.send_message(
                chat_id, message.text, disable_web_page_preview=True, **common
            )
        return sent.message_id

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        try:
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.info("progress edit failed: %s", exc)
        except NetworkError as exc:  # a missed progress edit is fine: the next one comes
            log.info("progress edit failed: %s", exc)


class InteractiveMeter(BaseRateLimiter[None]):
    """Meters handlers' own sends through the shared pacer, with priority over the outbox."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Any:
        chat_id = data.get("chat_id")
        if _OUTBOX_SEND.get() or endpoint not in METERED_ENDPOINTS or not _is_int(chat_id):
            return await callback(*args, **kwargs)
        for attempt in range(INTERACTIVE_FLOOD_RETRIES + 1):
            slot = await self.pacer.acquire(int(str(chat_id)), priority=True)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                # Someone else (another replica) used the budget; a reply is worth the wait.
                self.pacer.pause(retry_seconds(exc))
                if attempt == INTERACTIVE_FLOOD_RETRIES:
                    raise
            finally:
                self.pacer.release(slot)
        raise AssertionError("unreachable")


def _is_int(value: object) -> bool:
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.lstrip("-").isdigit()
