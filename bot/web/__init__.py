"""The coordinator's Mini App: a JSON API over the chat's use cases and a few static pages.

Mounted under `/app/` on the bot's own aiohttp server (`bot.webhook.make_webhook_app`),
which runs in webhook mode, in polling mode when WEBAPP_URL is set, and in the sandbox
(`bot.web.server`).  `/app/` is the page set (vanilla JS, no build step); `/app/api/...`
the API (`bot.web.api`), every call authenticated by the Mini App's initData.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.web.api import add_api_routes
from bot.web.assets import add_static_routes
from bot.web.endpoints import WebEnv

MOUNT = "/app/"


def env_of(application: Any) -> WebEnv:
    state = application.bot_data
    assert state.settings is not None and state.sessionmaker is not None
    return WebEnv(state.settings, state.sessionmaker, state.i18n, state.clock,
                  bot_username=lambda: _username(application), bot=lambda: application.bot)


def _username(application: Any) -> str | None:
    """The bot's @username: known once the bot is initialised (getMe), None before."""
    try:
        return str(application.bot.username)
    except RuntimeError:
        return None


def make_web_app(application: Any) -> web.Application:
    """The Mini App as an aiohttp sub-application of the running bot."""
    app = web.Application()
    env = env_of(application)
    add_api_routes(app, env)
    add_static_routes(app, telegram_script=env.settings.webapp_url is not None)
    return app


def mount(parent: web.Application, application: Any) -> None:
    """Adds the Mini App under /app/ to the bot's web server."""
    parent.add_subapp(MOUNT, make_web_app(application))
