"""The one place that builds and owns the running bot: the database, the pacer, the ops
runtime, the outbox dispatcher, the features' handlers and jobs, and the lifecycle.

What the bot does is the feature list (`bot/features.py`); this module turns it into a
PTB `Application` whose `bot_data` is the typed `AppState`.  Nothing imports this module
but the entry points (`bot/__main__.py`, the sandbox runner, tests and benchmarks).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot import redaction
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import AppState, GotongContext
from bot.db import create_engine, create_sessionmaker
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.pacing import Pacer
from bot.delivery.ptb_http import AiohttpRequest
from bot.delivery.sender import InteractiveMeter, PtbTransport
from bot.features import bot_features, handlers_of, jobs_of, schedule, tables_of
from bot.ops.dedup import tell_unanswered
from bot.ops.runtime import Ops
from bot.updates import PerPersonOrderedProcessor
from bot.views.i18n import I18n
from bot.views.ops import reply_lost
from bot.views.outbox import OutboxRendering
from handlers import errors
from handlers.feature import Feature
from handlers.menus import set_default_menus

log = logging.getLogger(__name__)

GotongApp = Application[Any, GotongContext, Any, Any, AppState, Any]
DISPATCH_JOB = "outbox-dispatch"


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    set_menus: bool = True,
    extra_features: Iterable[Feature] = (),
    pacer: Pacer | None = None,
) -> GotongApp:
    if settings.bot_token is None:
        raise ValueError("build_application needs BOT_TOKEN (the CLI starts the sandbox without)")
    # Masked in every error text that is stored, shown or logged (bot/redaction.py).
    redaction.register(
        settings.bot_token.get_secret_value(),
        settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
    )
    engine = engine or create_engine(settings.database_url)
    features = bot_features(extra_features)
    # One pacer for everything sent: the outbox dispatcher paces through it, and
    # handlers' replies take priority slots from it through the rate limiter below.
    # (Tests pass a pacer whose per-chat windows follow the sandbox referee's switch.)
    pacer = pacer or Pacer(
        settings.paid_rate_per_second if settings.paid_broadcast else settings.send_rate_per_second
    )
    sessionmaker = create_sessionmaker(engine)
    # Replicas: leader election, update dedup, heartbeat, health (bot/ops).
    ops = Ops(settings, engine, sessionmaker, pacer)
    state = AppState(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        i18n=I18n(settings.default_language),
        clock=clock or SystemClock(),
        tables=tables_of(features),
        pacer=pacer,
        ops=ops,
    )
    jobs = jobs_of(features)

    async def post_init(app: GotongApp) -> None:
        if set_menus:
            await set_default_menus(app.bot, state.i18n, state.tables.commands,
                                    settings.default_language)
        await ops.start(app)
        await start_delivery(app)
        if app.job_queue is not None:
            schedule(app.job_queue, jobs, settings)
        else:
            log.warning("no job queue: reminders, sweeps and digests will not run")
        for feature in features:
            for action in feature.on_start:
                # The running app's state: it holds the dispatcher started just above.
                await action(app.bot_data)
        ops.gate_jobs(app)  # periodic jobs: leader only (bot/ops/leader.py)
        log.info("Gotong is up as @%s", app.bot.username)

    async def post_stop(app: GotongApp) -> None:
        await stop_delivery(app)

    async def post_shutdown(app: GotongApp) -> None:
        # Every task of ours ends before the engine closes: a task still inside a session
        # when the pool's connections are gone waits forever for its rollback, and the
        # event loop can then never close (the teardown hang of issue #11).
        bound = settings.shutdown_timeout_seconds
        await finish_tasks([asyncio.ensure_future(ops.stop())], bound, "ops")
        await finish_tasks(job_tasks(), bound, "jobs")
        await engine.dispose()
        await finish_tasks(connections_closing(), bound, "connection close")

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
        .concurrent_updates(
            PerPersonOrderedProcessor(
                8,
                gate=ops.gate,
                on_unanswered=functools.partial(
                    tell_unanswered,
                    functools.partial(reply_lost, state.i18n, settings.default_language),
                ),
            )
        )
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

    for handler in handlers_of(features):
        app.add_handler(handler)
    app.add_error_handler(errors.on_error)
    return app


async def job_dispatch_outbox(context: GotongContext) -> None:
    """Returns expired leases, keeps the senders fed, updates broadcast progress."""
    dispatcher = context.state.dispatcher
    if dispatcher is not None:
        await dispatcher.tick()


async def start_delivery(app: GotongApp) -> None:
    """The outbox dispatcher, its workers and its tick (every replica sends; the database
    leases each row to one of them)."""
    state = app.bot_data
    if state.dispatcher is not None:
        return
    assert state.sessionmaker is not None and state.settings is not None
    dispatcher = Dispatcher(
        state.sessionmaker, PtbTransport(app.bot), state.settings, state.clock,
        OutboxRendering(state.i18n, state.settings, state.tables.renderers), pacer=state.pacer,
    )
    state.dispatcher = dispatcher
    dispatcher.start()
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            job_dispatch_outbox,
            interval=state.settings.dispatch_interval_seconds,
            first=0.1,
            name=DISPATCH_JOB,
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )


async def stop_delivery(app: GotongApp) -> None:
    dispatcher, app.bot_data.dispatcher = app.bot_data.dispatcher, None
    if dispatcher is not None:
        for job in app.job_queue.get_jobs_by_name(DISPATCH_JOB) if app.job_queue else ():
            job.schedule_removal()
        await dispatcher.stop()


async def finish_tasks(
    tasks: Iterable[asyncio.Future[Any]], bound: float, what: str
) -> None:
    """Waits up to `bound` seconds for `tasks`, cancels those still running and waits (as
    long again) for them to end; logs what would not.  Never waits without a bound."""
    pending = {t for t in tasks if not t.done()}
    if not pending:
        return
    _, pending = await asyncio.wait(pending, timeout=bound)
    if not pending:
        return
    log.warning("shutdown: %d %s task(s) still running after %.0f s; cancelling", len(pending),
                what, bound)
    for task in pending:
        task.cancel()
    _, pending = await asyncio.wait(pending, timeout=bound)
    for task in pending:
        log.error("shutdown: %s task %r ignores its cancellation", what, task)


def job_tasks() -> list[asyncio.Task[Any]]:
    """Job runs still going.  PTB's JobQueue.stop waits for the runs that were under way when
    it was called; a run APScheduler started meanwhile is only cancelled, not awaited."""
    return [
        t for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__qualname__", "") == "run_coroutine_job"
    ]


def connections_closing() -> list[asyncio.Task[Any]]:
    """SQLAlchemy's shielded graceful closes of connections it threw away (a task cancelled
    inside a database call): nobody awaits them, so shutdown does, before the loop ends."""
    return [
        t for t in asyncio.all_tasks()
        if not t.done()
        and getattr(t.get_coro(), "__qualname__", "").endswith("_terminate_graceful_close")
    ]


def hold_jobs(app: GotongApp) -> None:
    """No job run starts from here on (the runs under way go on, and are awaited)."""
    scheduler = app.job_queue.scheduler if app.job_queue is not None else None
    if scheduler is not None and scheduler.running:
        scheduler.pause()


async def stop_app(app: GotongApp, *, polling: bool) -> None:
    """Stops what `running` started, in order and each step bounded: no new updates, no new
    job runs, the updates and job runs under way finish, the features' workers stop
    (post_stop), then ops and the engine (post_shutdown)."""
    assert app.post_stop and app.post_shutdown
    bound = app.bot_data.settings.shutdown_timeout_seconds if app.bot_data.settings else 30.0
    if polling and app.updater is not None and app.updater.running:
        await app.updater.stop()
    hold_jobs(app)
    if app.running:
        stopping = asyncio.ensure_future(app.stop())
        _, late = await asyncio.wait({stopping}, timeout=bound)
        if late:  # an update stuck (on the network, say): cancel the updates, not the stop
            prefix = f"Application:{app.bot.id}:process"
            await finish_tasks(
                [t for t in asyncio.all_tasks() if t.get_name().startswith(prefix)], 0, "update"
            )
            await finish_tasks([stopping], bound, "application stop")
        stopping.result()
    await finish_tasks(job_tasks(), bound, "jobs")
    await app.post_stop(app)
    await app.post_shutdown(app)


@asynccontextmanager
async def running(app: GotongApp, *, polling: bool = True) -> AsyncIterator[GotongApp]:
    """Starts the app by hand (tests, sandbox, webhook) with the same hooks as run_polling.

    PTB calls post_init/post_stop/post_shutdown only from run_polling/run_webhook; every
    other way of running the bot goes through here so start-up and shutdown are never
    skipped.  Shutdown runs even when start-up failed half-way (the workers post_init
    started must stop), and ends every task the app started (`stop_app`).
    """
    async with app:
        assert app.post_init and app.post_stop and app.post_shutdown
        try:
            await app.post_init(app)
            await app.start()
            if polling:
                assert app.updater is not None
                await app.updater.start_polling(poll_interval=0, timeout=10)
            yield app
        finally:
            await stop_app(app, polling=polling)
