"""Errors of the sandbox, kept apart so every module can raise them without import cycles.

`ApiError` is what a Bot API method answers when Telegram would refuse the call; the server
turns it into Telegram's exact error JSON so PTB maps it to the same exception it would get
from Telegram.  `SandboxError` is a mistake on the *test* side (pressing a button that does
not exist); `SandboxTimeout` is a wait helper giving up, with a message that shows what the
chat did contain, because that is what one needs to read when a test fails.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API refusal: HTTP status, Telegram description and optional parameters."""

    def __init__(
        self, code: int, description: str, *, retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


class SandboxError(Exception):
    """The test (or the terminal user) asked the sandbox for something impossible."""


class SandboxTimeout(TimeoutError):
    """A wait helper did not see what it waited for in time."""
