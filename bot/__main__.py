"""Command line: `python -m bot [run|sandbox|migrate|backup|restore]`.

`run` with a BOT_TOKEN talks to Telegram (or TELEGRAM_API_BASE_URL) by long
polling, or by webhook when WEBHOOK_URL is set.  Without a token it starts the
local sandbox Bot API and the bot against it, and opens a terminal chat; the
sandbox's people and chats are kept for the next run (`--fresh` starts empty).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from bot import __version__
from bot.config import Settings, SettingsError, load_settings

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Gotong: campaign volunteer coordination on Telegram."
    )
    parser.add_argument("--version", action="version", version=f"gotong {__version__}")
    fresh_help = "with no BOT_TOKEN: start the sandbox without the people and chats of before"
    parser.add_argument("--fresh", action="store_true", help=fresh_help)
    sub = parser.add_subparsers(dest="command")
    run_parser = sub.add_parser(
        "run", help="run the bot (default); with no BOT_TOKEN, in the local sandbox"
    )
    run_parser.add_argument("--fresh", action="store_true", default=argparse.SUPPRESS,
                            help=fresh_help)
    sandbox = sub.add_parser("sandbox", help="run only the sandbox Bot API server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.add_argument("--limits", action="store_true", help="enforce Telegram's rate limits")
    migrate = sub.add_parser("migrate", help="upgrade the database schema (or --downgrade)")
    migrate.add_argument("--revision", default="head")
    migrate.add_argument("--downgrade", action="store_true")
    backup = sub.add_parser("backup", help="copy the live database to FILE (consistent)")
    backup.add_argument("file")
    restore = sub.add_parser("restore", help="replace the database with FILE (stop the bot)")
    restore.add_argument("file")
    args = parser.parse_args(argv)

    if args.command == "sandbox":
        from sandbox import run_standalone

        _setup_logging("INFO", False)
        run_standalone(args.host, args.port, args.limits)
        return 0
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"gotong: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        _setup_logging(settings.log_level, settings.log_json)
        from bot import migrate as migrations

        if args.downgrade:
            migrations.downgrade(settings.database_url, args.revision)
        else:
            migrations.upgrade(settings.database_url, args.revision)
        print(f"database at revision {migrations.current_revision_sync(settings.database_url)}")
        return 0
    if args.command in ("backup", "restore"):
        return _backup_or_restore(args.command, args.file, settings)
    return run(settings, fresh=args.fresh)


def _setup_logging(level: str, as_json: bool) -> None:
    from bot.logs import setup_logging

    setup_logging(level, as_json=as_json)


def run(settings: Settings, *, fresh: bool = False) -> int:
    from bot.ops.schema import prepare_in_child

    code, problem = prepare_in_child(settings.database_url, upgrade=settings.auto_migrate)
    if problem is not None:
        print(f"gotong: refusing to start: {problem}", file=sys.stderr)
    if code != 0:
        return code
    if settings.bot_token is None:
        print(
            "No BOT_TOKEN set: starting the local sandbox Bot API and a terminal chat "
            "(type :help there; Ctrl-D quits).",
            file=sys.stderr,
        )
        _setup_logging("WARNING", False)
        from sandbox.standalone import run_bot_in_sandbox

        asyncio.run(run_bot_in_sandbox(settings, fresh=fresh))
        return 0
    _setup_logging(settings.log_level, settings.log_json)
    from bot.app import build_application
    from bot.web import telegram as web_telegram

    app = build_application(settings, extra_features=[web_telegram.FEATURE])  # /app (bot/web)
    if settings.webhook_url:
        asyncio.run(_run_webhook(app, settings))
    elif settings.webapp_url:
        asyncio.run(_run_polling_with_web(app, settings))  # the Mini App needs a web server
    else:
        app.run_polling(allowed_updates=["message", "callback_query", "my_chat_member"])
    return 0


async def _run_polling_with_web(app: Any, settings: Settings) -> None:
    """Long polling plus the bot's web server (Mini App, /healthz, /metrics) until a signal."""
    import signal

    from bot.app import running
    from bot.web.server import start_web
    from bot.web.telegram import set_menu_button

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running(app):
        web = await start_web(app, settings.listen, settings.port)
        log.info("web app at %s/app/ (public: %s)", web.url, settings.webapp_url)
        try:
            await set_menu_button(app.bot, settings, app.bot_data.i18n)
            await stop.wait()
        finally:
            await web.stop()


async def _run_webhook(app: Any, settings: Settings) -> None:
    """Serves the webhook until SIGTERM/SIGINT, then drains: in-flight updates finish."""
    import signal

    from aiohttp import web

    from bot.app import running
    from bot.ops.registration import WebhookTarget, register_webhook
    from bot.webhook import make_webhook_app, webhook_path

    assert settings.webhook_url and settings.webhook_secret
    secret = settings.webhook_secret.get_secret_value()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running(app, polling=False):
        # Listen first, register second: Telegram may push the moment it is registered.
        runner = web.AppRunner(
            make_webhook_app(app, path=webhook_path(settings.webhook_url), secret=secret),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=settings.shutdown_timeout_seconds,
        )
        await runner.setup()
        await web.TCPSite(runner, settings.listen, settings.port).start()
        log.info("webhook listening on %s:%s", settings.listen, settings.port)
        try:
            target = WebhookTarget(
                settings.webhook_url, secret, settings.webhook_max_connections
            )
            await register_webhook(app.bot, app.bot_data.sessionmaker, target)
            from bot.web.telegram import set_menu_button

            await set_menu_button(app.bot, settings, app.bot_data.i18n)
            await stop.wait()
            log.info("stopping: no new updates; finishing the ones in flight")
        finally:
            # Closes the listener, then waits (up to SHUTDOWN_TIMEOUT_SECONDS) for the
            # updates being handled; leaving `running` stops the job queue (waiting for a
            # dispatch in progress), gives up leadership and closes the database.
            await runner.cleanup()
    log.info("stopped cleanly")


def _backup_or_restore(command: str, file: str, settings: Settings) -> int:
    from pathlib import Path

    from bot.ops.backup import BackupError, backup, restore

    try:
        if command == "backup":
            backup(settings.database_url, Path(file))
            print(f"backup written to {file}")
        else:
            restore(settings.database_url, Path(file))
            print(f"database restored from {file}")
    except BackupError as exc:
        print(f"gotong: {command} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
