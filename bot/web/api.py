"""The Mini App's JSON API: the chat's use cases, reached from a page inside Telegram.

Every `/app/api/...` request (but `strings`, the catalog texts any page may show before
it knows who is there) carries the Mini App's `initData` in a header
(`Authorization: tma <initData>`); it is validated (`bot.web.initdata`), mapped to the
person exactly as a chat update is (`load_actor`) and checked with the chat's rule book
(`bot.services.authz`, then again by each use case).  No cookies: a request without the
header is a stranger (401).  Writes take JSON bodies only (another content type → 415),
so a form on another site cannot post here, and the header cannot be set cross-site.

Errors are the services' own `DomainError`s, translated with the same catalogs as the
chat, in the person's language: 403 not allowed, 404 not found, 409 conflict (changed
meanwhile, full, cancelled), 422 invalid input.  Texts are plain (the page shows them with
`textContent`), never HTML.

The endpoints themselves live with their page: `me` (who is there), `planning` and
`planning_events` (the planner), `people`, `dashboard`, `composer` (broadcasts) and
`volunteer`; this module authenticates and serves them all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from bot.services.authz import require
from bot.services.people.members import TelegramUser, load_actor
from bot.views.i18n import normalize_language
from bot.views.render import to_plain
from bot.web import composer, dashboard, me, people, planning, planning_events, volunteer
from bot.web.endpoints import ENV_KEY, Endpoint, WebEnv
from bot.web.initdata import InitDataError, WebAppUser, validate
from bot.web.inputs import BODY_KEY, MAX_BODY

log = logging.getLogger(__name__)
AUTH_SCHEME = "tma"
INIT_DATA_HEADER = "X-Telegram-Init-Data"
PAGES = (me, planning, planning_events, people, dashboard, composer, volunteer)
ENDPOINTS: list[Endpoint] = [ep for page in PAGES for ep in page.ROUTES]
STATUS = {NotAllowed: 403, NotFound: 404, Conflict: 409, InvalidInput: 422}


def error_response(env: WebEnv, lang: str, status: int, key: str, **params: Any) -> web.Response:
    try:
        message = to_plain(env.i18n.t(lang, key, **params))
    except KeyError:
        message = to_plain(env.i18n.t(lang, "error.generic"))
    return web.json_response({"error": key, "message": message}, status=status)


def _init_data(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == AUTH_SCHEME and value:
        return value.strip()
    return request.headers.get(INIT_DATA_HEADER, "").strip()


async def _read_body(request: web.Request) -> tuple[dict[str, Any] | None, int, str]:
    """A write's JSON object, or (None, status, error key) when it is not one."""
    if request.content_type != "application/json":
        return None, 415, "webapp.json_only"
    raw = await request.read()
    if len(raw) > MAX_BODY:
        return None, 413, "webapp.too_large"
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        return None, 400, "webapp.bad_json"
    if not isinstance(body, dict):
        return None, 400, "webapp.bad_json"
    return body, 200, ""


def _telegram_user(user: WebAppUser) -> TelegramUser:
    return TelegramUser(user.id, user.first_name, user.last_name, user.username,
                        user.language_code)


def _route(env: WebEnv, ep: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def route(request: web.Request) -> web.StreamResponse:
        lang = normalize_language(request.headers.get("Accept-Language"),
                                  env.settings.default_language)
        now = env.clock.now()
        try:
            user = validate(
                _init_data(request), env.token, now=now,
                max_age=timedelta(seconds=env.settings.webapp_init_data_max_age_seconds),
            )
        except InitDataError as exc:
            log.info("web app request refused (%s) from %s", exc, request.remote)
            return error_response(env, lang, 401, "webapp.auth_failed")
        lang = normalize_language(user.language_code, env.settings.default_language)
        if request.method != "GET":
            body, status, key = await _read_body(request)
            if body is None:
                return error_response(env, lang, status, key)
            request[BODY_KEY] = body
        actor = await load_actor(
            env.sessionmaker,
            _telegram_user(user),
            admin_ids=frozenset(env.settings.admin_ids),
            default_language=env.settings.default_language,
            now=now,
        )
        try:
            if ep.permission is not None:
                require(actor, ep.permission)
            result = await ep.handler(request, env, actor)
        except DomainError as exc:
            status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
            return error_response(env, actor.language, status, exc.key, **exc.params)
        return web.json_response(result, headers={"Cache-Control": "no-store"})

    return route


async def api_strings(request: web.Request) -> web.Response:
    env = request.app[ENV_KEY]
    lang = normalize_language(request.query.get("lang"), env.settings.default_language)
    return web.json_response({"language": lang, "strings": me.strings(env.i18n, lang)})


def add_api_routes(app: web.Application, env: WebEnv) -> None:
    app[ENV_KEY] = env
    app.router.add_get("/api/strings", api_strings)
    for ep in ENDPOINTS:
        app.router.add_route(ep.method, ep.path, _route(env, ep))
