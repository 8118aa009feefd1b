"""The user side and the knobs over HTTP (`/sandbox/...`), for a sandbox in another process.

Benchmarks and `HttpSandboxClient` use these JSON endpoints; they mirror the in-process API
one to one.  The `wait_*` endpoints are long polls, so remote tests need no sleeps either.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from sandbox.errors import SandboxError, SandboxTimeout
from sandbox.faults import Faults
from sandbox.knobs import knob_to_json
from sandbox.limits import Limits
from sandbox.migration import migrate_group
from sandbox.models import UserSpec
from sandbox.stats import Stats
from sandbox.webhook import WebhookSettings
from sandbox.world import SandboxWorld

JsonHandler = Callable[[dict[str, Any]], Awaitable[Any]]


def wrap(handler: JsonHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def route(request: web.Request) -> web.Response:
        body: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            try:
                loaded = await request.json()
            except json.JSONDecodeError:
                return web.json_response(
                    {"ok": False, "description": "body is not JSON"}, status=400
                )
            if isinstance(loaded, dict):
                body.update(loaded)
        try:
            result = await handler(body)
        except SandboxTimeout as error:
            return web.json_response({"ok": False, "description": str(error)}, status=408)
        except (SandboxError, KeyError, ValueError, TypeError) as error:
            return web.json_response({"ok": False, "description": str(error)}, status=400)
        return web.json_response({"ok": True, "result": result})

    return route


def _user(body: dict[str, Any]) -> UserSpec:
    return UserSpec.from_json(body["user"])


def _opt_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    return None if value is None else int(value)


class Sandbox(Protocol):
    """What the user side needs of the sandbox server (`sandbox.server.SandboxServer`)."""

    world: SandboxWorld
    stats: Stats
    webhook_settings: WebhookSettings

    @property
    def limits(self) -> Limits: ...

    @property
    def faults(self) -> Faults: ...

    def set_limits(self, **changes: Any) -> None: ...

    def set_faults(self, **changes: Any) -> None: ...

    def set_webhook_settings(self, **changes: Any) -> None: ...

    def reset_stats(self) -> None: ...

    def reset(self) -> None: ...

    def visible_commands(
        self, chat_id: int, user_id: int, language_code: str | None = None
    ) -> list[dict[str, str]]: ...


class UserSide:
    """One JSON endpoint per method: `/sandbox/<method name>` (GET or POST)."""

    def __init__(self, server: Sandbox) -> None:
        self.server = server
        self.world = server.world

    async def send_message(self, body: dict[str, Any]) -> Any:
        message = self.world.send_text(
            _user(body),
            str(body["text"]),
            chat_id=_opt_int(body, "chat_id"),
            reply_to=_opt_int(body, "reply_to"),
        )
        return message.to_json()

    async def send_file(self, body: dict[str, Any]) -> Any:
        message = self.world.send_file(
            _user(body),
            kind=str(body["kind"]),
            content=base64.b64decode(body["content_base64"]),
            file_name=body.get("file_name"),
            mime_type=body.get("mime_type"),
            caption=body.get("caption"),
            chat_id=_opt_int(body, "chat_id"),
        )
        return message.to_json()

    async def send_location(self, body: dict[str, Any]) -> Any:
        message = self.world.send_location(
            _user(body),
            float(body["latitude"]),
            float(body["longitude"]),
            chat_id=_opt_int(body, "chat_id"),
        )
        return message.to_json()

    async def press(self, body: dict[str, Any]) -> Any:
        return self.world.press(
            _user(body),
            int(body["chat_id"]),
            int(body["message_id"]),
            data=body.get("data"),
            text=body.get("text"),
            index=_opt_int(body, "index"),
        )

    async def create_group(self, body: dict[str, Any]) -> Any:
        chat = self.world.group_chat(int(body["chat_id"]), body.get("title"), body.get("type"))
        return chat.to_api()

    async def migrate_group(self, body: dict[str, Any]) -> Any:
        by = _user(body) if body.get("user") else None
        chat = migrate_group(self.world, int(body["old_chat_id"]), int(body["new_chat_id"]), by)
        return chat.to_api()

    async def messages(self, body: dict[str, Any]) -> Any:
        return [m.to_json() for m in self.world.messages(int(body["chat_id"]))]

    async def message(self, body: dict[str, Any]) -> Any:
        return self.world.message(int(body["chat_id"]), int(body["message_id"])).to_json()

    async def chats(self, body: dict[str, Any]) -> Any:
        return [chat.to_api() for chat in self.world.chats.values()]

    async def wait_for_message(self, body: dict[str, Any]) -> Any:
        from_bot = body.get("from_bot", True)
        found = await self.world.wait_for_message(
            int(body["chat_id"]),
            after_message_id=_opt_int(body, "after_message_id"),
            timeout=float(body.get("timeout", 10.0)),
            from_bot=None if from_bot is None else bool(from_bot),
        )
        return found.to_json()

    async def wait_for_edit(self, body: dict[str, Any]) -> Any:
        found = await self.world.wait_for_edit(
            int(body["chat_id"]),
            int(body["message_id"]),
            after_version=_opt_int(body, "after_version"),
            timeout=float(body.get("timeout", 10.0)),
        )
        return found.to_json()

    async def wait_for_change(self, body: dict[str, Any]) -> Any:
        kind, found = await self.world.wait_for_change(
            int(body["chat_id"]),
            int(body["message_id"]),
            after_version=int(body["after_version"]),
            after_message_id=int(body["after_message_id"]),
            timeout=float(body.get("timeout", 10.0)),
        )
        return {"kind": kind, "message": found.to_json()}

    async def last_message_id(self, body: dict[str, Any]) -> Any:
        return self.world.last_message_id(int(body["chat_id"]))

    async def callback_answer(self, body: dict[str, Any]) -> Any:
        answer = self.world.answers.get(str(body["callback_query_id"]))
        return None if answer is None else answer.to_json()

    async def wait_for_callback_answer(self, body: dict[str, Any]) -> Any:
        answer = await self.world.wait_for_callback_answer(
            str(body["callback_query_id"]), timeout=float(body.get("timeout", 10.0))
        )
        return answer.to_json()

    async def commands(self, body: dict[str, Any]) -> Any:
        return self.server.visible_commands(
            int(body["chat_id"]), int(body["user_id"]), body.get("language_code")
        )

    async def limits(self, body: dict[str, Any]) -> Any:
        self.server.set_limits(**body)
        return knob_to_json(self.server.limits)

    async def faults(self, body: dict[str, Any]) -> Any:
        self.server.set_faults(**body)
        return knob_to_json(self.server.faults)

    async def webhook_settings(self, body: dict[str, Any]) -> Any:
        self.server.set_webhook_settings(**body)
        return knob_to_json(self.server.webhook_settings)

    async def stats(self, body: dict[str, Any]) -> Any:
        return self.server.stats.to_json()

    async def reset_stats(self, body: dict[str, Any]) -> Any:
        self.server.reset_stats()
        return True

    async def reset(self, body: dict[str, Any]) -> Any:
        self.server.reset()
        return True


ROUTES = (
    "send_message",
    "send_file",
    "send_location",
    "press",
    "create_group",
    "migrate_group",
    "messages",
    "message",
    "chats",
    "wait_for_message",
    "wait_for_edit",
    "wait_for_change",
    "last_message_id",
    "callback_answer",
    "wait_for_callback_answer",
    "commands",
    "limits",
    "faults",
    "webhook_settings",
    "stats",
    "reset_stats",
    "reset",
)


def add_user_routes(app: web.Application, server: Sandbox) -> None:
    side = UserSide(server)
    for name in ROUTES:
        route = wrap(getattr(side, name))
        app.router.add_get(f"/sandbox/{name}", route)
        app.router.add_post(f"/sandbox/{name}", route)
