"""Webhook mode: an aiohttp server that takes Telegram's POSTs and handles them in-request.

Why our own aiohttp server rather than PTB's (tornado) one: PTB's answers 200 as soon as
the update is queued, so a replica that dies mid-update loses it.  Here the update is
handled *before* the answer: 200 means done (or done before, by anyone: see
`bot.ops.dedup`), and a crash or 5xx makes Telegram redeliver it, possibly to another
replica.  Bad requests are refused precisely and nothing is processed: wrong or missing
secret → 403, malformed JSON, JSON nested too deep, or a body whose fields have the wrong
shape (`"message": "x"`) → 400, all logged.  The shape is checked here, before PTB's
`de_json` (which is no validator: it raises AttributeError/TypeError/KeyError on such
input), so a malformed update never reaches a handler.  The same server answers
`/healthz` (for the proxy and the orchestrator) and `/metrics` (Prometheus text format).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.ops.dedup import Claim, tell_unanswered
from bot.ops.health import render_metrics
from bot.ops.metrics import METRICS
from bot.ops.runtime import get_ops
from bot.views.ops import reply_lost
from bot.web import mount as mount_web_app

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Largest body we read: real updates are a few kB; this leaves room for long texts.
MAX_BODY_BYTES = 2 * 1024 * 1024
# DESIGN "Performance facts": 8 updates at once did best for PTB on these machines.
HANDLING_SLOTS = 8


# What the handlers read, by field name wherever it appears: objects, lists of objects,
# strings and integers.  Anything else Telegram sends passes through untouched.
_OBJECTS = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_message", "edited_business_message", "callback_query", "inline_query",
        "my_chat_member", "chat_member", "chat_join_request", "message_reaction",
        "chat", "from", "sender_chat", "reply_to_message", "pinned_message", "document",
        "location", "contact", "new_chat_member", "old_chat_member", "reply_markup",
    }
)
_OBJECT_LISTS = frozenset({"entities", "caption_entities", "photo", "new_chat_members"})
_STRINGS = frozenset(
    {"text", "caption", "data", "type", "first_name", "last_name", "username", "title",
     "language_code", "chat_instance", "file_id", "file_unique_id", "file_name", "status"}
)
_INTEGERS = frozenset({"update_id", "message_id", "date", "offset", "length", "file_size"})
# Each of these, where present, needs its own keys (PTB indexes them without a default).
_REQUIRED = {
    "chat": ("id", "type"),
    "from": ("id", "first_name"),
    "message": ("message_id", "date", "chat"),
    "callback_query": ("id", "from", "chat_instance"),
}
MAX_SHAPE_DEPTH = 12


def update_shape_problem(data: object) -> str | None:
    """Why `data` is not an update the handlers can read safely, or None."""
    if not isinstance(data, dict):
        return "not an object"
    if not _is_int(data.get("update_id")):
        return "not an update (no integer update_id)"
    return _object_problem(data, "update", 0)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object_problem(obj: dict[str, Any], where: str, depth: int) -> str | None:  # noqa: C901
    if depth > MAX_SHAPE_DEPTH:
        return f"{where}: nested too deep"
    for key in _REQUIRED.get(where, ()):
        if key not in obj:
            return f"{where}: no {key}"
    for key, value in obj.items():
        if key in _OBJECTS:
            if not isinstance(value, dict):
                return f"{where}.{key}: not an object"
            # A message inside an update, a reply or a button press reads as a message.
            kind = "message" if key.endswith(("message", "post")) else key
            if problem := _object_problem(value, kind, depth + 1):
                return problem
        elif key in _OBJECT_LISTS:
            if not isinstance(value, list):
                return f"{where}.{key}: not a list"
            for item in value:
                if not isinstance(item, dict):
                    return f"{where}.{key}: not a list of objects"
                if problem := _object_problem(item, key, depth + 1):
                    return problem
        elif key in _STRINGS and not isinstance(value, str):
            return f"{where}.{key}: not a string"
        elif key in _INTEGERS and not _is_int(value):
            return f"{where}.{key}: not an integer"
        elif key == "id" and not (_is_int(value) or isinstance(value, str)):
            return f"{where}.id: not an id"
    return None


def parse_update(body: bytes, bot: Any) -> Update | str:
    """The update in a webhook body, or what is wrong with the body."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: [[[[...]]]] too deep
        return f"not JSON: {type(exc).__name__}"
    problem = update_shape_problem(data)
    if problem is not None:
        return problem
    try:
        return Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        return f"{type(exc).__name__}: {exc}"


def webhook_path(webhook_url: str) -> str:
    return urlparse(webhook_url).path or "/"


def make_webhook_app(
    application: Application[Any, Any, Any, Any, Any, Any], *, path: str, secret: str
) -> web.Application:
    ops = get_ops(application)
    # Updates handled at once by this replica; the rest wait here, before they claim a
    # database connection (each in-flight update holds one for its claim).
    slots = asyncio.Semaphore(HANDLING_SLOTS)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            METRICS.updates.inc(outcome="rejected")
            log.warning("webhook call with a wrong or missing secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        update = parse_update(await request.read(), application.bot)
        if isinstance(update, str):
            return malformed(request, update)
        async with slots:
            return await handle(update)

    def malformed(request: web.Request, problem: str) -> web.Response:
        METRICS.updates.inc(outcome="malformed")
        log.warning("malformed webhook body from %s: %s", request.remote, problem[:200])
        return web.Response(status=400, text="bad request")

    async def handle(update: Update) -> web.Response:
        started = time.perf_counter()
        duplicate = False
        try:
            async with ops.gate.admit(update.update_id) as (claim, handling):
                if claim is Claim.NEW and handling is not None:
                    # PTB routes it to the handlers; their errors go to the error handler
                    # (the user is told), so a handler bug is "handled", not redelivered.
                    # A copy that lost the race in its transaction stops quietly.
                    await application.process_update(update)
                    duplicate = handling.duplicate
        except Exception:
            METRICS.updates.inc(outcome="failed")
            log.exception("update %s could not be handled; Telegram will retry", update.update_id)
            return web.Response(status=503, text="retry later", headers={"Retry-After": "1"})
        if duplicate:
            claim = Claim.DUPLICATE
        METRICS.updates.inc(outcome=claim.value if claim is not Claim.NEW else "handled")
        if claim is Claim.BUSY:
            return web.Response(status=503, text="in progress", headers={"Retry-After": "1"})
        if claim is Claim.UNANSWERED:
            state = application.bot_data
            say = functools.partial(reply_lost, state.i18n, state.settings.default_language)
            await tell_unanswered(say, update)
        if claim is Claim.NEW:
            METRICS.latency.observe(time.perf_counter() - started)
        return web.Response(text="ok")

    async def healthz(_request: web.Request) -> web.Response:
        health = await ops.health()
        return web.json_response(health.as_json(), status=200 if health.database_ok else 503)

    async def metrics(_request: web.Request) -> web.Response:
        text = render_metrics(await ops.health(), telegram_429s=ops.telegram_429s)
        return web.Response(
            body=text.encode(), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
        )

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    mount_web_app(app, application)  # the Mini App under /app/ (bot/web)
    return app
