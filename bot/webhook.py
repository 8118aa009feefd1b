"""Webhook mode: an aiohttp server that takes Telegram's POSTs and handles them in-request.

Why our own aiohttp server rather than PTB's (tornado) one: PTB's answers 200 as soon as
the update is queued, so a replica that dies mid-update loses it.  Here the update is
handled *before* the answer: 200 means done (or done before, by anyone: see
`bot.ops.dedup`), and a crash or 5xx makes Telegram redeliver it, possibly to another
replica.  Bad requests are refused precisely and nothing is processed: wrong or missing
secret → 403, malformed JSON → 400, both logged.  The same server answers `/healthz`
(for the proxy and the orchestrator) and `/metrics` (Prometheus text format).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.ops.dedup import Claim
from bot.ops.health import render_metrics
from bot.ops.metrics import METRICS
from bot.ops.runtime import get_ops, wall_now

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Largest body we read: real updates are a few kB; this leaves room for long texts.
MAX_BODY_BYTES = 2 * 1024 * 1024
# DESIGN "Performance facts": 8 updates at once did best for PTB on these machines.
HANDLING_SLOTS = 8


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
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update (no integer update_id)")
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            METRICS.updates.inc(outcome="malformed")
            log.warning("malformed webhook body from %s: %s", request.remote, exc)
            return web.Response(status=400, text="bad request")
        async with slots:
            return await handle(update)

    async def handle(update: Update) -> web.Response:
        started = time.perf_counter()
        try:
            async with ops.gate.claim(update.update_id, wall_now()) as claim:
                if claim is Claim.NEW:
                    # PTB routes it to the handlers; their errors go to the error handler
                    # (the user is told), so a handler bug is "handled", not redelivered.
                    await application.process_update(update)
        except Exception:
            METRICS.updates.inc(outcome="failed")
            log.exception("update %s could not be handled; Telegram will retry", update.update_id)
            return web.Response(status=503, text="retry later", headers={"Retry-After": "1"})
        METRICS.updates.inc(outcome=claim.value if claim is not Claim.NEW else "handled")
        if claim is Claim.BUSY:
            return web.Response(status=503, text="in progress", headers={"Retry-After": "1"})
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
    return app
