"""The browser sandbox: a Telegram-like chat with the bot for any sandbox person.

Served only when `python -m bot` runs without a token (the local sandbox), under /chat/ on
the bot's own web server.  The page talks to the sandbox's user HTTP API
(`sandbox/userhttp.py`: send, press, read a chat) through a small same-origin proxy,
downloads photos and documents through the sandbox's Bot API file route, and opens the
Mini App with initData the sandbox signs for the person chosen (with the sandbox token:
nothing here can sign for a real bot).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp import web

from bot.web import env_of
from bot.web.assets import add_named_routes
from bot.web.initdata import sandbox_init_data

# The user-side calls the page may make; everything else of /sandbox/ (faults, limits,
# reset) stays with tests and benchmarks.
PROXIED = ("send_message", "send_location", "press", "messages", "wait_for_callback_answer",
           "commands")
HTTP_KEY = web.AppKey("http", aiohttp.ClientSession)


def mount_chat(parent: web.Application, application: Any, sandbox: Any) -> None:
    env = env_of(application)
    token = env.token
    chat = web.Application()
    add_named_routes(chat, {"/": "chat.html", "/chat.js": "chat.js", "/app.css": "app.css",
                            "/chat.css": "chat.css"})

    async def open_http(app: web.Application) -> Any:
        app[HTTP_KEY] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        yield
        await app[HTTP_KEY].close()

    chat.cleanup_ctx.append(open_http)

    async def proxy(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in PROXIED or request.content_type != "application/json":
            return web.json_response({"ok": False, "description": "not here"}, status=404)
        body = await request.read()
        async with request.app[HTTP_KEY].post(
            f"{sandbox.url}/sandbox/{name}", data=body,
            headers={"Content-Type": "application/json"},
        ) as answer:
            return web.Response(body=await answer.read(), status=answer.status,
                                content_type="application/json")

    async def file(request: web.Request) -> web.StreamResponse:
        http = request.app[HTTP_KEY]
        async with http.get(f"{sandbox.base_url}{token}/getFile",
                            params={"file_id": request.match_info["file_id"]}) as answer:
            found = await answer.json()
        if not found.get("ok"):
            raise web.HTTPNotFound()
        path = found["result"]["file_path"]
        async with http.get(f"{sandbox.base_file_url}{token}/{path}") as content:
            body = await content.read()
            kind = content.content_type
        name = request.query.get("name", "")
        headers = {"X-Content-Type-Options": "nosniff"}
        if name:
            headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + (
                aiohttp.helpers.quote(name, safe=""))
        return web.Response(body=body, content_type=kind, headers=headers)

    async def people(_request: web.Request) -> web.Response:
        admin = env.settings.admin_ids[0] if env.settings.admin_ids else 1
        known: dict[int, dict[str, Any]] = {
            admin: {"user_id": admin, "first_name": "Admin", "language_code": "en"},
            2: {"user_id": 2, "first_name": "Ani", "language_code": "id"},
            3: {"user_id": 3, "first_name": "Budi", "language_code": "en"},
        }
        for user in sandbox.world.users.values():
            known[user.user_id] = user.to_json()
        return web.json_response({"people": sorted(known.values(), key=lambda u: u["user_id"]),
                                  "bot": sandbox.world.bot_username})

    async def init_data(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
            user = {"id": int(body["user_id"]), "first_name": str(body.get("first_name") or ""),
                    "language_code": str(body.get("language_code") or "id")}
        except (ValueError, KeyError, TypeError):
            return web.json_response({"ok": False}, status=400)
        return web.json_response(
            {"init_data": sandbox_init_data(user, token, now=env.clock.now())}
        )

    async def strings(request: web.Request) -> web.Response:
        from bot.views.i18n import normalize_language
        from bot.web.api import strings as catalog_strings

        lang = normalize_language(request.query.get("lang"), env.settings.default_language)
        return web.json_response({"strings": catalog_strings(env.i18n, lang)})

    chat.router.add_post("/api/proxy/{name}", proxy)
    chat.router.add_get("/api/file/{file_id}", file)
    chat.router.add_get("/api/people", people)
    chat.router.add_post("/api/initdata", init_data)
    chat.router.add_get("/api/strings", strings)
    parent.add_subapp("/chat/", chat)
