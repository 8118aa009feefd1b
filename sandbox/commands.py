"""The bot's command menus, stored per scope and language as Telegram stores them.

Telegram keeps one list per (BotCommandScope, language_code) and shows a person the most
specific non-empty one; getMyCommands returns exactly the list stored for the scope asked,
without falling back.  Both behaviours are here so tests can check what a user would see.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.errors import bad_request

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_SCOPES_WITH_CHAT = ("chat", "chat_administrators", "chat_member")
_SCOPE_TYPES = (
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    *_SCOPES_WITH_CHAT,
)


def scope_key(scope: Any) -> str:
    """A canonical string for a BotCommandScope object (None means the default scope)."""
    if scope is None:
        return json.dumps({"type": "default"})
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope")
    key: dict[str, Any] = {"type": scope["type"]}
    if scope["type"] in _SCOPES_WITH_CHAT:
        try:
            key["chat_id"] = int(scope["chat_id"])
        except (KeyError, TypeError, ValueError):
            raise bad_request("chat not found") from None
    if scope["type"] == "chat_member":
        try:
            key["user_id"] = int(scope["user_id"])
        except (KeyError, TypeError, ValueError):
            raise bad_request("user not found") from None
    return json.dumps(key, sort_keys=True)


def check_language(language_code: str | None) -> str:
    if not language_code:
        return ""
    if not _LANGUAGE_RE.fullmatch(language_code):
        raise bad_request("invalid language code specified")
    return language_code


def check_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    checked: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand")
        name = command.get("command")
        description = command.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    return checked


class CommandRegistry:
    def __init__(self) -> None:
        self._lists: dict[tuple[str, str], list[dict[str, str]]] = {}

    def set(self, scope: Any, language_code: str | None, commands: Any) -> None:
        key = (scope_key(scope), check_language(language_code))
        checked = check_commands(commands)
        if checked:
            self._lists[key] = checked
        else:
            self._lists.pop(key, None)

    def get(self, scope: Any, language_code: str | None) -> list[dict[str, str]]:
        key = (scope_key(scope), check_language(language_code))
        return list(self._lists.get(key, []))

    def delete(self, scope: Any, language_code: str | None) -> None:
        self._lists.pop((scope_key(scope), check_language(language_code)), None)

    def visible(
        self, chat_id: int, user_id: int, language_code: str | None
    ) -> list[dict[str, str]]:
        """The menu a (non-admin) person sees in this chat, by Telegram's precedence."""
        if chat_id > 0:
            scopes: list[dict[str, Any]] = [
                {"type": "chat", "chat_id": chat_id},
                {"type": "all_private_chats"},
                {"type": "default"},
            ]
        else:
            scopes = [
                {"type": "chat_member", "chat_id": chat_id, "user_id": user_id},
                {"type": "chat", "chat_id": chat_id},
                {"type": "all_group_chats"},
                {"type": "default"},
            ]
        languages = [language_code[:2].lower(), ""] if language_code else [""]
        for scope in scopes:
            for language in languages:
                found = self._lists.get((scope_key(scope), language or ""))
                if found:
                    return list(found)
        return []
