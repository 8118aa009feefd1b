"""The one place that wires the bot: handlers, jobs, database and lifecycle.

Handler order matters inside group 0 (the first match wins): commands and
buttons first, then the free-text flow router, and the catch-all for unknown
commands last.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot import redaction
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import AppState, GotongContext
from bot.db import create_engine, create_sessionmaker
from bot.delivery.pacing import Pacer
from bot.delivery.ptb_http import AiohttpRequest
from bot.delivery.sender import InteractiveMeter
from bot.i18n import I18n
from bot.ops.runtime import OPS_KEY, Ops
from bot.updates import PerPersonOrderedProcessor
from handlers import admin, broadcast, budget, errors, flows, help, stale, start, timezone
from handlers import attendance as attendance_handlers
from handlers import autopilot as autopilot_handlers
from handlers import events as event_handlers
from handlers import feedback as feedback_handlers
from handlers import groups as group_handlers
from handlers import imports as import_handlers
from handlers import progress as progress_handlers
from handlers import shifts as shift_handlers
from handlers import skills as skill_handlers
from handlers import tasks as task_handlers
from handlers.menus import set_default_menus

log = logging.getLogger(__name__)

GotongApp = Application[Any, GotongContext, Any, Any, AppState, Any]
LifecycleHook = Callable[[GotongApp], Awaitable[None]]

# Feature modules: each exports handlers() -> list[BaseHandler].  Order = priority.
FEATURE_MODULES: list[ModuleType] = [start, help, timezone, admin, budget, broadcast]
FEATURE_MODULES += [shift_handlers, task_handlers, skill_handlers]
FEATURE_MODULES += [event_handlers, attendance_handlers]
FEATURE_MODULES += [feedback_handlers]  # before progress: it takes /report pdf, /summary A vs B
FEATURE_MODULES += [progress_handlers]
FEATURE_MODULES += [group_handlers, import_handlers, autopilot_handlers]  # groups, /import
# Always last: free text goes to flows, then anything left that looks like a command.
CATCH_ALL_MODULES: list[ModuleType] = [flows, errors, stale]  # stale: any button left over
# Hooks registered by features: start their workers and periodic jobs; stop them again
# (shutdown hooks run in reverse order, after the app stopped taking updates).
STARTUP_HOOKS: list[LifecycleHook] = []
SHUTDOWN_HOOKS: list[LifecycleHook] = []
PACER_KEY = "pacer"


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    set_menus: bool = True,
    extra_modules: Iterable[ModuleType] = (),
) -> GotongApp:
    if settings.bot_token is None:
        raise ValueError("build_application needs BOT_TOKEN (the CLI starts the sandbox without)")
    # Masked in every error text that is stored, shown or logged (bot/redaction.py).
    redaction.register(
        settings.bot_token.get_secret_value(),
        settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
    )
    engine = engine or create_engine(settings.database_url)
    state = AppState(
        settings=settings,
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        i18n=I18n(settings.default_language),
        clock=clock or SystemClock(),
    )
    # Replicas: leader election, update dedup, heartbeat, health (bot/ops).
    state.extras[OPS_KEY] = Ops(settings, engine, state.sessionmaker)
    # One pacer for everything sent: the outbox dispatcher paces through it, and
    # handlers' replies take priority slots from it through the rate limiter below.
    pacer = Pacer(
        settings.paid_rate_per_second if settings.paid_broadcast else settings.send_rate_per_second
    )
    state.extras[PACER_KEY] = pacer

    async def post_init(app: GotongApp) -> None:
        if set_menus:
            await set_default_menus(app.bot, state.i18n, settings.default_language)
        await state.extras[OPS_KEY].start(app)
        for hook in STARTUP_HOOKS:
            await hook(app)
        state.extras[OPS_KEY].gate_jobs(app)  # periodic jobs: leader only (bot/ops/leader.py)
        log.info("Gotong is up as @%s", app.bot.username)

    async def post_stop(app: GotongApp) -> None:
        for hook in reversed(SHUTDOWN_HOOKS):
            await hook(app)

    async def post_shutdown(app: GotongApp) -> None:
        await state.extras[OPS_KEY].stop()
        await engine.dispose()

    meter = InteractiveMeter(pacer)
    # PTB's HTTP on aiohttp (bot/delivery/ptb_http.py): ~0.13 ms of CPU per call, not ~1.6.
    requests, polling = AiohttpRequest(connections=64), AiohttpRequest(connections=2)
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .context_types(ContextTypes(context=GotongContext, bot_data=AppState))
        .defaults(Defaults(tzinfo=settings.tz, parse_mode=ParseMode.HTML))
        # Several people at once (one slow database call must not hold everyone up),
        # each person's own updates in order, each update handled once (bot/ops/dedup.py).
        .concurrent_updates(PerPersonOrderedProcessor(8, gate=state.extras[OPS_KEY].gate))
        .request(requests)
        .get_updates_request(polling)
        .rate_limiter(meter)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(
            settings.telegram_file_base_url or base.replace("/bot", "/file/bot")
        )
    app: GotongApp = builder.build()
    for key, value in vars(state).items():
        setattr(app.bot_data, key, value)

    for module in [*FEATURE_MODULES, *extra_modules, *CATCH_ALL_MODULES]:
        for handler in module.handlers():
            app.add_handler(handler)
    app.add_error_handler(errors.on_error)
    return app


@asynccontextmanager
async def running(app: GotongApp, *, polling: bool = True) -> AsyncIterator[GotongApp]:
    """Starts the app by hand (tests, sandbox, webhook) with the same hooks as run_polling.

    PTB calls post_init/post_stop/post_shutdown only from run_polling/run_webhook; every
    other way of running the bot goes through here so start-up and shutdown are never
    skipped.
    """
    async with app:
        assert app.post_init and app.post_stop and app.post_shutdown
        await app.post_init(app)
        await app.start()
        if polling:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=10)
        try:
            yield app
        finally:
            if polling and app.updater is not None and app.updater.running:
                await app.updater.stop()
            await app.stop()
            await app.post_stop(app)
            await app.post_shutdown(app)
