"""The user side and the knobs over HTTP (`/sandbox/...`), for a sandbox in another process.

Benchmarks and `HttpSandboxClient` use these JSON endpoints; they mirror the in-process API
one to one.  The `wait_*` endpoints are long polls, so remote tests need no sleeps either.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.errors import SandboxError, SandboxTimeout
from sandbox.knobs import knob_to_json
from sandbox.models import UserSpec

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

JsonHandler = Callable[[dict[str, Any]], Awaitable[Any]]


def _wrap(handler: JsonHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
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


def add_user_routes(app: web.Application, server: SandboxServer) -> None:
    world = server.world

    async def send_message(body: dict[str, Any]) -> Any:
        message = world.send_text(
            _user(body),
            str(body["text"]),
            chat_id=_opt_int(body, "chat_id"),
            reply_to=_opt_int(body, "reply_to"),
        )
        return message.to_json()

    async def send_file(body: dict[str, Any]) -> Any:
        message = world.send_file(
            _user(body),
            kind=str(body["kind"]),
            content=base64.b64decode(body["content_base64"]),
            file_name=body.get("file_name"),
            mime_type=body.get("mime_type"),
            caption=body.get("caption"),
            chat_id=_opt_int(body, "chat_id"),
        )
        return message.to_json()

    async def send_location(body: dict[str, Any]) -> Any:
        message = world.send_location(
            _user(body),
            float(body["latitude"]),
            float(body["longitude"]),
            chat_id=_opt_int(body, "chat_id"),
        )
        return message.to_json()

    async def press(body: dict[str, Any]) -> Any:
        return world.press(
            _user(body),
            int(body["chat_id"]),
            int(body["message_id"]),
            data=body.get("data"),
            text=body.get("text"),
            index=_opt_int(body, "index"),
        )

    async def create_group(body: dict[str, Any]) -> Any:
        chat = world.group_chat(int(body["chat_id"]), body.get("title"), body.get("type"))
        return chat.to_api()

    async def messages(body: dict[str, Any]) -> Any:
        return [m.to_json() for m in world.messages(int(body["chat_id"]))]

    async def message(body: dict[str, Any]) -> Any:
        return world.message(int(body["chat_id"]), int(body["message_id"])).to_json()

    async def chats(body: dict[str, Any]) -> Any:
        return [chat.to_api() for chat in world.chats.values()]

    async def wait_for_message(body: dict[str, Any]) -> Any:
        from_bot = body.get("from_bot", True)
        found = await world.wait_for_message(
            int(body["chat_id"]),
            after_message_id=_opt_int(body, "after_message_id"),
            timeout=float(body.get("timeout", 10.0)),
            from_bot=None if from_bot is None else bool(from_bot),
        )
        return found.to_json()

    async def wait_for_edit(body: dict[str, Any]) -> Any:
        found = await world.wait_for_edit(
            int(body["chat_id"]),
            int(body["message_id"]),
            after_version=_opt_int(body, "after_version"),
            timeout=float(body.get("timeout", 10.0)),
        )
        return found.to_json()

    async def wait_for_change(body: dict[str, Any]) -> Any:
        kind, found = await world.wait_for_change(
            int(body["chat_id"]),
            int(body["message_id"]),
            after_version=int(body["after_version"]),
            after_message_id=int(body["after_message_id"]),
            timeout=float(body.get("timeout", 10.0)),
        )
        return {"kind": kind, "message": found.to_json()}

    async def last_message_id(body: dict[str, Any]) -> Any:
        return world.last_message_id(int(body["chat_id"]))

    async def callback_answer(body: dict[str, Any]) -> Any:
        answer = world.answers.get(str(body["callback_query_id"]))
        return None if answer is None else answer.to_json()

    async def wait_for_callback_answer(body: dict[str, Any]) -> Any:
        answer = await world.wait_for_callback_answer(
            str(body["callback_query_id"]), timeout=float(body.get("timeout", 10.0))
        )
        return answer.to_json()

    async def commands(body: dict[str, Any]) -> Any:
        return server.visible_commands(
            int(body["chat_id"]), int(body["user_id"]), body.get("language_code")
        )

    async def limits(body: dict[str, Any]) -> Any:
        server.set_limits(**body)
        return knob_to_json(server.limits)

    async def faults(body: dict[str, Any]) -> Any:
        server.set_faults(**body)
        return knob_to_json(server.faults)

    async def webhook_settings(body: dict[str, Any]) -> Any:
        server.set_webhook_settings(**body)
        return knob_to_json(server.webhook_settings)

    async def stats(body: dict[str, Any]) -> Any:
        return server.stats.to_json()

    async def reset_stats(body: dict[str, Any]) -> Any:
        server.reset_stats()
        return True

    async def reset(body: dict[str, Any]) -> Any:
        server.reset()
        return True

    routes: dict[str, JsonHandler] = {
        "send_message": send_message,
        "send_file": send_file,
        "send_location": send_location,
        "press": press,
        "create_group": create_group,
        "messages": messages,
        "message": message,
        "chats": chats,
        "wait_for_message": wait_for_message,
        "wait_for_edit": wait_for_edit,
        "wait_for_change": wait_for_change,
        "last_message_id": last_message_id,
        "callback_answer": callback_answer,
        "wait_for_callback_answer": wait_for_callback_answer,
        "commands": commands,
        "limits": limits,
        "faults": faults,
        "webhook_settings": webhook_settings,
        "stats": stats,
        "reset_stats": reset_stats,
        "reset": reset,
    }
    for name, handler in routes.items():
        route = _wrap(handler)
        app.router.add_get(f"/sandbox/{name}", route)
        app.router.add_post(f"/sandbox/{name}", route)
