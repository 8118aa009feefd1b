"""Validation of what goes into a message besides its text: keyboards and user-side entities.

Telegram refuses a keyboard whose callback_data exceeds 64 bytes or whose button has no (or
two) actions; our bot packs ids into callback_data, so this is where such bugs are caught.
The user side also needs the entities Telegram attaches to what a person types
(`bot_command`, `url`, `mention`) because PTB's CommandHandler reads them, not the text.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.errors import ApiError, bad_request
from sandbox.html import utf16_len

CALLBACK_DATA_MAX_BYTES = 64
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_REPLY_MARKUP_KINDS = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")


def _button_error(detail: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {detail}")


def _check_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _button_error(f"a button must have exactly one action, got {', '.join(actions)}")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_MAX_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise bad_request("BUTTON_URL_INVALID")
    if "web_app" in button:
        _check_web_app(button["web_app"])


# Telegram opens a Mini App only over HTTPS; the browser sandbox serves its own on the
# loopback (http://127.0.0.1:<port>/app), which is the one exception a local run needs.
_WEB_APP_URL = re.compile(r"^(https://\S+|http://(127\.0\.0\.1|localhost)(:\d+)?(/\S*)?)$")


def _check_web_app(info: Any) -> None:
    url = info.get("url") if isinstance(info, dict) else None
    if not isinstance(url, str) or not _WEB_APP_URL.match(url):
        raise _button_error(f"Web App URL '{url}' is invalid: Only HTTPS links are allowed")


def has_web_app(markup: dict[str, Any] | None) -> bool:
    """Whether an inline keyboard holds a `web_app` button (private chats only, as Telegram)."""
    rows = (markup or {}).get("inline_keyboard") or []
    return any(isinstance(b, dict) and "web_app" in b for row in rows for b in row)


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate a reply_markup object; return it, or None when absent."""
    if markup is None:
        return None
    if not isinstance(markup, dict) or not any(k in markup for k in _REPLY_MARKUP_KINDS):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                _check_button(button)
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays'
            )
    return markup


def inline_keyboard(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of a reply_markup that Telegram echoes on the message (inline keyboards only)."""
    if markup is None or "inline_keyboard" not in markup:
        return None
    return {"inline_keyboard": markup["inline_keyboard"]}


_USER_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<url>(?<!\w)https?://[^\s<>\"]+)"
    r"|(?P<mention>(?<![\w@])@[a-zA-Z0-9_]{5,32}(?!\w))"
)


def user_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram's clients attach to typed text, with UTF-16 offsets."""
    entities: list[dict[str, Any]] = []
    for match in _USER_ENTITY_RE.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        entities.append(
            {
                "type": kind,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities
