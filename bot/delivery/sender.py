"""The Telegram-facing end of the outbox: one send, its outcome, and the interactive meter.

This is the only module below `handlers/` that touches `telegram`: it turns a rendered
message (`bot.delivery.message.Message`) into `send_message`/`send_photo`/`send_document`
(HTML, inline keyboard) and Telegram's errors into the four things the dispatcher must
distinguish:

* `Flood` (429): wait `retry_after`, send the same message again;
* `Blocked` (403: blocked, deactivated): the person is unreachable, stop;
* `Rejected` (400 and other permanent errors): failed with Telegram's reason;
* `Transient` (5xx, timeouts, network): retry later with backoff;
* `Migrated` (400 `migrate_to_chat_id`, a `Rejected`): the group has a new chat id.

Text messages (nearly all of the outbox) skip PTB and httpx: a JSON POST on aiohttp's
keep-alive pool (`bot.delivery.lanes`).  Measured in paid mode (1000 msg/s), PTB's shared
httpx pool cost ~40 % of the bot's CPU scanning its 64 connections on every request,
building `Message` objects another ~10 %; httpx cost ~1.6 ms per request against ~0.13 ms
for aiohttp's client.  The outbox only needs the message id.
Telegram's error answers become the very exceptions PTB raises (its rules, in its order:
`_raise_for`), so the mapping below is the same for both paths.
Media and anything unusual still go through PTB.

`InteractiveMeter` is a PTB rate limiter for everything *else* the bot sends (handlers'
replies): it never makes them queue behind the outbox; it takes a priority slot from the
same `Pacer`, so the outbox leaves room for them and neither side earns a 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
from collections.abc import Callable, Coroutine, Iterator, Sequence
from datetime import timedelta
from http import HTTPStatus
from typing import Any, NoReturn, Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import BaseRateLimiter

from bot.delivery import lanes
from bot.delivery.message import Message, MessageKeyboard
from bot.delivery.pacing import Pacer

log = logging.getLogger(__name__)

# Set while an outbox worker sends: those sends already hold a pacer slot.
_OUTBOX_SEND: contextvars.ContextVar[bool] = contextvars.ContextVar("outbox_send", default=False)
# Endpoints that Telegram's flood control counts: every message posted, and every edit
# (editing one message 20 times in a row earns a RetryAfter like 20 sends would).
SEND_ENDPOINTS = frozenset(
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
EDIT_ENDPOINTS = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia"}
)
METERED_ENDPOINTS = SEND_ENDPOINTS | EDIT_ENDPOINTS
# An interactive request waits out this many 429s (each for its retry_after): the person
# sees the answer late rather than "something went wrong".
INTERACTIVE_FLOOD_RETRIES = 3
# 5xx answers mean "not delivered": retried after these pauses.  A timeout is retried only
# for an edit (repeating it is harmless); a timed-out send may have arrived.
INTERACTIVE_RETRY_DELAYS = (0.5, 1.5)


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


class Migrated(Rejected):
    """400 with `migrate_to_chat_id`: the group became a supergroup with a new chat id.
    The same message may go there (the dispatcher re-targets it); anyone catching only
    `Rejected` treats it as the refusal it is for the old id."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"group chat was upgraded to supergroup {new_chat_id}")
        self.new_chat_id = new_chat_id


class Transport(Protocol):
    async def send(self, chat_id: int, message: Message, *, paid: bool) -> int: ...

    async def edit(
        self, chat_id: int, message_id: int, text: str, keyboard: MessageKeyboard | None = None
    ) -> None: ...


def keyboard_markup(keyboard: MessageKeyboard | None) -> InlineKeyboardMarkup | None:
    """Plain button rows as Telegram's inline keyboard (handlers use this one too)."""
    rows = [
        [
            InlineKeyboardButton(b.text, callback_data=b.data)
            if b.data is not None
            else InlineKeyboardButton(b.text, web_app=WebAppInfo(web_app))
            if (web_app := getattr(b, "web_app", None)) is not None
            else InlineKeyboardButton(b.text, url=b.url)
            for b in row
        ]
        for row in keyboard or ()
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


async def take_off_keyboards(bot: Bot, places: Sequence[tuple[int, int]]) -> int:
    """Takes the buttons off messages already delivered, (chat_id, message_id) each: a
    cancelled event's invitations lose Going/Not going (the outbox's notice says why).  The
    chat's cancel and the Mini App's cancel both end here, through the app's bot and its
    rate limiter; a message deleted or too old keeps what it has.  Returns how many."""
    done = 0
    for chat_id, message_id in places:
        try:
            await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
            done += 1
        except TelegramError as exc:
            log.info("buttons stay on %d/%d (%s)", chat_id, message_id, exc)
    return done


def retry_seconds(exc: RetryAfter) -> float:
    value: Any = exc.retry_after  # a timedelta (PTB_TIMEDELTA, see bot/__init__.py) or seconds
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def inline_keyboard_json(keyboard: MessageKeyboard) -> dict[str, Any] | None:
    """The Bot API's `reply_markup` for an inline keyboard, without PTB objects."""
    rows = [
        [
            {"text": b.text, "callback_data": b.data}
            if b.data is not None
            else {"text": b.text, "web_app": {"url": web_app}}
            if (web_app := getattr(b, "web_app", None)) is not None
            else {"text": b.text, "url": b.url}
            for b in row
        ]
        for row in keyboard
        if row
    ]
    return {"inline_keyboard": rows} if rows else None


def _raise_for(code: int, payload: bytes) -> NoReturn:
    """Raises what PTB's `BaseRequest` raises for this answer (its rules, in its order)."""
    message = "Unknown HTTPError"
    try:
        data = json.loads(payload)
    except ValueError:
        data = {}
    if isinstance(data, dict):
        message = data.get("description") or message
        parameters = data.get("parameters")
        if parameters:
            if migrate_to := parameters.get("migrate_to_chat_id"):
                raise ChatMigrated(migrate_to)
            if retry_after := parameters.get("retry_after"):
                raise RetryAfter(retry_after)
            message += f". The server response contained unknown parameters: {parameters}"
    if code == HTTPStatus.FORBIDDEN:
        raise Forbidden(message)
    if code in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        raise InvalidToken(message)
    if code == HTTPStatus.BAD_REQUEST:
        raise BadRequest(message)
    if code == HTTPStatus.CONFLICT:
        raise Conflict(message)
    raise NetworkError(message)


_PLAIN = (str, int, float, bool, type(None))


async def post_on_lanes(pool: lanes.Lanes, method: str, content: bytes) -> Any:
    """One Bot API call on the keep-alive lanes; answers and errors exactly as PTB's."""
    try:
        status, payload = await pool.post_json(method, content)
    except lanes.LaneTimeout as exc:
        raise TimedOut(str(exc)) from exc
    except lanes.LaneError as exc:
        raise NetworkError(str(exc)) from exc
    if 200 <= status <= 299:
        try:
            return json.loads(payload)["result"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TelegramError(f"Invalid server response: {payload!r}") from exc
    _raise_for(status, payload)



class PtbTransport:
    """Sends with the application's bot (its token and base_url): text messages on the
    transport's own keep-alive lanes, media through PTB (the handlers' HTTP pool)."""

    def __init__(self, bot: Bot, *, read_timeout: float = 5.0) -> None:
        self.bot = bot
        self.read_timeout = read_timeout
        base_url = str(bot.base_url)
        self._lanes = (
            lanes.Lanes(base_url, timeout=read_timeout) if lanes.usable(base_url) else None
        )

    async def aclose(self) -> None:
        if self._lanes is not None:
            await self._lanes.aclose()

    async def send(self, chat_id: int, message: Message, *, paid: bool) -> int:
        with _outbox_call():
            if (
                self._lanes is not None
                and message.photo is None
                and message.document is None
                and all(isinstance(v, _PLAIN) for v in message.extra.values())
            ):
                return await self._send_json(chat_id, message, paid=paid)
            return await self._send(chat_id, message, paid=paid)

    async def _send_json(self, chat_id: int, message: Message, *, paid: bool) -> int:
        body: dict[str, Any] = {
            "chat_id": chat_id,
            "text": message.text,
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": {"is_disabled": True},
            **message.extra,
        }
        if (markup := inline_keyboard_json(message.keyboard)) is not None:
            body["reply_markup"] = markup
        if paid:
            body["allow_paid_broadcast"] = True
        result = await self._post("sendMessage", json.dumps(body).encode())
        return int(result["message_id"])

    async def _post(self, method: str, content: bytes) -> Any:
        assert self._lanes is not None
        return await post_on_lanes(self._lanes, method, content)

    async def _send(self, chat_id: int, message: Message, *, paid: bool) -> int:
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

    async def edit(
        self, chat_id: int, message_id: int, text: str, keyboard: MessageKeyboard | None = None
    ) -> None:
        """Edits a message the dispatcher paced for (a broadcast's progress); raises what
        `send` raises.  An edit that changes nothing has done its job."""
        with _outbox_call(done_if="not modified"):
            await self.bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard_markup(keyboard),
                read_timeout=self.read_timeout,
            )


@contextlib.contextmanager
def _outbox_call(*, done_if: str | None = None) -> Iterator[None]:
    """Marks the call as the dispatcher's (already paced) and turns Telegram's answers into
    the four outcomes the dispatcher tells apart; a 400 containing `done_if` is success."""
    token = _OUTBOX_SEND.set(True)
    try:
        yield
    except RetryAfter as exc:
        raise Flood(retry_seconds(exc)) from exc
    except Forbidden as exc:
        raise Blocked(exc.message) from exc
    except ChatMigrated as exc:
        raise Migrated(int(exc.new_chat_id)) from exc
    except BadRequest as exc:
        if done_if is not None and done_if in str(exc).lower():
            return
        raise Rejected(str(exc)) from exc
    except NetworkError as exc:  # includes TimedOut and PTB's mapping of 5xx answers
        raise Transient(f"{type(exc).__name__}: {exc}") from exc
    finally:
        _OUTBOX_SEND.reset(token)


class InteractiveMeter(BaseRateLimiter[None]):
    """Meters handlers' own sends and edits through the shared pacer, with priority over the
    outbox, and copes with Telegram's expected answers where they occur.

    * 429: wait `retry_after` (the pacer pauses everyone), then the same request again;
    * 5xx (not delivered): retried after a short pause; a timeout only for an edit;
    * "message is not modified": the edit's goal is already met, answered as Telegram
      answers an edit (True), never an error;
    * a callback query too old to answer: nothing to do, logged.
    None of these reach the error handler or alert anyone.  The dispatcher's own calls
    (`_OUTBOX_SEND`: paced already) pass through, their errors to the dispatcher.
    """

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
        metered = (
            not _OUTBOX_SEND.get() and endpoint in METERED_ENDPOINTS and _is_int(chat_id)
        )
        floods = 0
        failures = 0
        while True:
            slot = (
                await self.pacer.acquire(int(str(chat_id)), priority=True) if metered else None
            )
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if _OUTBOX_SEND.get():
                    # The dispatcher paced this call and decides what its 429 means: a paid
                    # broadcast's progress edit meets the free 30/s and must not pause the
                    # paid sends (pausing here stalled them ~1 s per progress tick).
                    raise
                # Someone else (another replica, an earlier burst) used the budget; a reply
                # is worth the wait.
                self.pacer.pause(retry_seconds(exc))
                floods += 1
                if floods > INTERACTIVE_FLOOD_RETRIES:
                    raise
                log.info("%s to %s: 429, retrying after %ss", endpoint, chat_id, exc.retry_after)
            except BadRequest as exc:
                text = str(exc).lower()
                if endpoint in EDIT_ENDPOINTS and "not modified" in text:
                    return True
                if endpoint == "answerCallbackQuery" and "query is too old" in text:
                    log.info("callback answer came too late: %s", exc)
                    return True
                raise
            except NetworkError as exc:
                if _OUTBOX_SEND.get() or failures >= len(INTERACTIVE_RETRY_DELAYS):
                    raise
                if isinstance(exc, TimedOut) and endpoint not in EDIT_ENDPOINTS:
                    raise
                log.info("%s to %s failed (%s), retrying", endpoint, chat_id, exc)
                delay = INTERACTIVE_RETRY_DELAYS[failures]
                failures += 1
                await asyncio.sleep(delay)
            finally:
                if slot is not None:
                    self.pacer.release(slot)


def _is_int(value: object) -> bool:
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.lstrip("-").isdigit()
