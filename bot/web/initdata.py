"""Telegram Mini App `initData`: validated on the server (and signed, for tests).

Telegram hands the Mini App a query string (`query_id`, `user` as JSON, `auth_date`,
`hash`, ...).  `hash` is HMAC-SHA256 over the other fields sorted by key as `key=value`
lines, keyed with HMAC-SHA256("WebAppData", bot_token): only Telegram (and whoever holds
the token) can produce it, so a request carrying it really comes from that person's app.
Anything altered (another user id, a newer auth_date) breaks the hash; an old one is
refused after `max_age`.  Nothing here trusts a field before the hash matched.  `sign` and
`sandbox_init_data` sign as Telegram does, for tests and benchmarks; the browser sandbox
signs with its own copy (`sandbox.chat`: the sandbox plays Telegram).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

# Telegram's own initData is well under 1 kB; a larger header is not from Telegram.
MAX_INIT_DATA = 4096
# Clocks differ a little: an auth_date this far in the future is still accepted.
CLOCK_SKEW = timedelta(seconds=60)


class InitDataError(Exception):
    """The initData is missing, malformed, forged or too old (the reason is for the log)."""


@dataclass(frozen=True, slots=True)
class WebAppUser:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The initData query string for these fields, signed as Telegram signs it."""
    unsigned = {k: v for k, v in fields.items() if k != "hash"}
    digest = hmac.new(secret_key(bot_token), _check_string(unsigned).encode(), hashlib.sha256)
    return urlencode({**unsigned, "hash": digest.hexdigest()})


def sandbox_init_data(user: dict[str, Any], bot_token: str, *, now: datetime) -> str:
    """What a Telegram app would pass when `user` opens the Mini App at `now`."""
    return sign(
        {
            "query_id": f"SANDBOX{user['id']}{int(now.timestamp())}",
            "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
            "auth_date": str(int(now.timestamp())),
        },
        bot_token,
    )


def validate(init_data: str, bot_token: str, *, now: datetime, max_age: timedelta) -> WebAppUser:
    """The person behind `init_data`, or `InitDataError`."""
    if not init_data:
        raise InitDataError("missing")
    if len(init_data) > MAX_INIT_DATA:
        raise InitDataError("too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field given twice")  # which copy was signed? neither counts
    given = fields.get("hash", "")
    expected = hmac.new(
        secret_key(bot_token), _check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InitDataError("bad hash")
    raw_date = fields.get("auth_date", "")
    if not raw_date.isdigit() or len(raw_date) > 12:
        raise InitDataError("no auth_date")
    auth_date = datetime.fromtimestamp(int(raw_date), tz=now.tzinfo)
    if auth_date > now + CLOCK_SKEW:
        raise InitDataError("auth_date in the future")
    if now - auth_date > max_age:
        raise InitDataError("expired")
    try:
        user = json.loads(fields.get("user", ""))
    except ValueError:
        raise InitDataError("user is not JSON") from None
    if not isinstance(user, dict) or not isinstance(user.get("id"), int) or isinstance(
        user.get("id"), bool
    ):
        raise InitDataError("no user id")

    def text(key: str) -> str | None:
        value = user.get(key)
        return value if isinstance(value, str) else None

    return WebAppUser(
        id=int(user["id"]),
        first_name=text("first_name") or "",
        last_name=text("last_name"),
        username=text("username"),
        language_code=text("language_code"),
        auth_date=auth_date,
    )
