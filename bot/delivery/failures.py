"""Why a message was not delivered: a small set of stable reason codes.

The engine stores a failure in `outbox_message.last_error` (and a blocked person's
`person.unreachable_reason`) as `"<code>: <detail>"`: the code is one of `Reason`'s values,
chosen where the failure happens (`bot.delivery.dispatcher`, `bot.delivery.leasing`), the
detail is Telegram's or the engine's own text, kept for the logs.  The views translate the
code (`broadcast.reason_<name>` in the catalogs), never the detail: people read "blocked the
bot", not "Forbidden: bot was blocked by the user".

Every recipient-unreachable code starts with `forbidden` (`BLOCKED_PREFIX`), as the rows
written before the codes did, so counting the blocked ones is one `LIKE` for old and new
rows alike.  Rows without a known code (written before) are read by their text; what no
rule recognises is `OTHER`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

BLOCKED_PREFIX = "forbidden"  # last_error of rows whose recipient cannot be reached (403)
DETAIL_LIMIT = 1000


class Reason(StrEnum):
    """A failure's reason as stored; `key` names its text in the catalogs."""

    BLOCKED = "forbidden.blocked"  # the person blocked the bot
    DEACTIVATED = "forbidden.deactivated"  # the account was deleted
    KICKED = "forbidden.kicked"  # the bot was removed from the group or channel
    NOT_STARTED = "forbidden.not_started"  # the person never opened the bot
    UNREACHABLE = "forbidden.unreachable"  # another 403
    CHAT_NOT_FOUND = "chat_not_found"
    TOO_MANY_RETRIES = "too_many_retries"  # 5xx/timeouts until MAX_ATTEMPTS
    REJECTED = "rejected"  # another 400: Telegram refused this message
    INTERNAL = "internal"  # the bot could not render the message
    OTHER = "other"

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def unreachable(self) -> bool:
        return self.value.startswith(BLOCKED_PREFIX)


Family = Literal["forbidden", "rejected", "gave_up", "internal"]

_BY_CODE = {reason.value: reason for reason in Reason}
# Telegram's descriptions (lower case) and the reason each one means, first match wins.
_FORBIDDEN_TEXTS = (
    ("blocked by the user", Reason.BLOCKED),
    ("user is deactivated", Reason.DEACTIVATED),
    ("kicked", Reason.KICKED),
    ("not a member", Reason.KICKED),
    ("can't initiate conversation", Reason.NOT_STARTED),
    ("can't send messages to bots", Reason.UNREACHABLE),
)
_REJECTED_TEXTS = (("chat not found", Reason.CHAT_NOT_FOUND),)
# How rows written before the codes began (by the engine of then).
_LEGACY_PREFIXES = (
    ("gave up", Reason.TOO_MANY_RETRIES),
    ("no renderer", Reason.INTERNAL),
    ("render error", Reason.INTERNAL),
)


def classify(family: Family, detail: str) -> Reason:
    """The reason of a failure of this family, from its text."""
    text = detail.lower()
    if family == "forbidden":
        return next((r for s, r in _FORBIDDEN_TEXTS if s in text), Reason.UNREACHABLE)
    if family == "rejected":
        return next((r for s, r in _REJECTED_TEXTS if s in text), Reason.REJECTED)
    if family == "gave_up":
        return Reason.TOO_MANY_RETRIES
    return Reason.INTERNAL


def stored(reason: Reason, detail: str) -> str:
    """What `last_error` holds: the code, then the detail for the logs."""
    return f"{reason.value}: {detail_of(detail)}"[:DETAIL_LIMIT]


def failure(family: Family, detail: str) -> str:
    """A failure as stored, its reason read from the detail."""
    return stored(classify(family, detail_of(detail)), detail)


def _split(text: str) -> tuple[Reason | None, str]:
    code, sep, rest = text.partition(": ")
    reason = _BY_CODE.get(code) if sep else None
    return (reason, rest) if reason is not None else (None, text)


def detail_of(text: str) -> str:
    """The detail without its code (the text itself when it carries none)."""
    return _split(text)[1]


def reason_of(text: str | None) -> Reason:
    """The reason of a stored failure; rows from before the codes are read by their text."""
    if not text:
        return Reason.OTHER
    reason, _ = _split(text)
    if reason is not None:
        return reason
    lowered = text.lower()
    for prefix, legacy in _LEGACY_PREFIXES:
        if lowered.startswith(prefix):
            return legacy
    if lowered.startswith(BLOCKED_PREFIX):
        return classify("forbidden", lowered)
    if lowered.startswith("bad request") or any(s in lowered for s, _ in _REJECTED_TEXTS):
        return classify("rejected", lowered)
    return next((r for s, r in _FORBIDDEN_TEXTS if s in lowered), Reason.OTHER)


def unreachable(person_reason: str | None) -> str:
    """The failure of a row whose recipient was found unreachable before: the reason they
    were (`person.unreachable_reason`, itself a stored failure), else `UNREACHABLE`."""
    reason = reason_of(person_reason)
    if not reason.unreachable:
        reason = Reason.UNREACHABLE
    return stored(reason, person_reason or "unreachable")
