"""Wiring: our bot against a local sandbox, as `python -m bot` runs with no BOT_TOKEN.

The one module of `sandbox/` that knows the product: it starts a `SandboxServer`, builds
the bot's Application against it (a fake token of Telegram's shape, the sandbox's base
URLs, admin 1 unless ADMIN_IDS says otherwise), serves the Mini App and the browser chat
(`sandbox.chat`, handed to the bot's web server as one more page) and opens the terminal
chat.  The sandbox's people and chats are kept between runs in a file next to the bot's
database (`SANDBOX_STATE`, `sandbox.persist`), as the database keeps the bot's side.
The sandbox itself never imports this module (`python -m sandbox` runs the server alone:
`sandbox.runner`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.app import build_application, running
from bot.config import Settings
from bot.web import telegram as web_telegram
from bot.web.server import start_web
from sandbox.chat import MOUNT, ChatPage
from sandbox.persist import kept_world
from sandbox.server import SandboxServer
from sandbox.terminal import run_terminal_chat

# A well-formed fake token: the sandbox accepts any token of Telegram's shape.
SANDBOX_TOKEN = "1000000001:SANDBOXsandboxSANDBOXsandboxSANDBOX12"
SANDBOX_ADMIN_ID = 1


def browser_chat(application: Any, sandbox: SandboxServer) -> dict[str, web.Application]:
    """The browser chat for the bot `application` runs, as a page of the bot's web server."""
    state = application.bot_data
    settings: Settings = state.settings
    assert settings.bot_token is not None
    page = ChatPage(
        sandbox,
        token=settings.bot_token.get_secret_value(),
        admin_id=settings.admin_ids[0] if settings.admin_ids else SANDBOX_ADMIN_ID,
        now=state.clock.now,
    )
    return {MOUNT: page.app()}


def sandbox_settings(settings: Settings, server: SandboxServer) -> Settings:
    return settings.model_copy(
        update={
            "bot_token": SecretStr(SANDBOX_TOKEN),
            "telegram_api_base_url": server.base_url,
            "telegram_file_base_url": server.base_file_url,
            "admin_ids": settings.admin_ids or [SANDBOX_ADMIN_ID],
            "webhook_url": None,
        }
    )


def sandbox_state_path(settings: Settings) -> Path | None:
    """Where the sandbox's world is kept (`SANDBOX_STATE`): next to a SQLite database
    (`gotong.sqlite3` -> `gotong.sandbox.json`), in the working directory otherwise."""
    choice = settings.sandbox_state.strip()
    if choice.lower() == "off":
        return None
    if choice.lower() != "auto":
        return Path(choice).expanduser()
    database = make_url(settings.database_url).database if settings.is_sqlite else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return Path("gotong.sandbox.json")
    return Path(database).with_suffix(".sandbox.json")


async def run_bot_in_sandbox(
    settings: Settings,
    *,
    fresh: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> None:
    """The sandbox, the bot against it, its web pages and a terminal chat, until Ctrl-D.

    The sandbox starts with the people and chats of the last run (`fresh`: empty)."""
    server = SandboxServer()
    await server.start()
    state = sandbox_state_path(settings)
    settings = sandbox_settings(settings, server)
    app = build_application(settings, extra_features=[web_telegram.FEATURE])
    try:
        async with kept_world(server.world, state, fresh=fresh), running(app):
            # The browser sandbox (a chat for any person) and the Mini App it opens.
            web_pages = await start_web(
                app, settings.listen, settings.port, pages=browser_chat(app, server),
                fallback_to_any_port=True,
            )
            app.bot_data.settings = settings.model_copy(update={"webapp_url": web_pages.app_url})
            await web_telegram.set_menu_button(app.bot, app.bot_data.settings, app.bot_data.i18n)
            print(
                f"Browser sandbox: {web_pages.url}{MOUNT}  (Mini App: {web_pages.app_url})",
                file=sys.stderr, flush=True,
            )
            if state is not None:
                print(f"Sandbox people and chats kept in {state}", file=sys.stderr, flush=True)
            try:
                await run_terminal_chat(
                    server, first_user_id=settings.admin_ids[0], stdin=stdin, stdout=stdout
                )
            finally:
                await web_pages.stop()
    finally:
        await server.stop()
