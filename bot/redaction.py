"""Secrets out of every error text: the bot token and the webhook secret become `<redacted>`.

The token is part of every Bot API URL (`/bot<token>/sendMessage`), so anything that
echoes a request path — an HTML error page from a proxy (`Cannot POST /bot…`), an HTTP
library's exception, PTB's "Can not load invalid JSON data" log line — carries it.  Every
text that is stored (the outbox's failure reasons), shown (the broadcast's "not
delivered" list, the coordinators' alert) or logged (`bot.logs`) goes through `redact`.

Anything token-shaped is masked even when not registered (another bot's token, a test's);
the configured token and webhook secret are registered at start-up (`register`) and
masked as they are, URL-encoded, and wherever they appear.
"""

from __future__ import annotations

import re
from urllib.parse import quote

REDACTED = "<redacted>"
# A BotFather token: the bot id, a colon (maybe URL-encoded) and 35 URL-safe characters
# (fixtures use a few more).
TOKEN_SHAPE = re.compile(r"\d{5,20}(?::|%3[Aa])[A-Za-z0-9_-]{30,60}")
# Shorter than this is not worth masking (and would mask ordinary words).
MIN_SECRET_LENGTH = 6

_secrets: set[str] = set()


def register(*secrets: str | None) -> None:
    """Masks these values (the token, the webhook secret) from now on, in this process."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            _secrets.update({secret, quote(secret, safe="")})


def redact(text: str) -> str:
    """`text` with every registered secret and anything token-shaped replaced."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return TOKEN_SHAPE.sub(REDACTED, text)
