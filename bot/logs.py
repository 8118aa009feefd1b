"""Logging set-up: readable lines by default, JSON lines for log collectors.

The token never reaches a log: every handler's formatter passes the finished line —
message, arguments, traceback and all — through `bot.redaction.redact`, so even a
library's DEBUG line that echoes a request URL or an HTML error page is masked.  httpx
logs every request URL (which contains the token) at INFO, so its logger is kept at
WARNING as well, to keep the noise down.
"""

from __future__ import annotations

import json
import logging
from typing import TextIO

from bot.redaction import redact


class RedactingFormatter(logging.Formatter):
    """Formats with `inner`, then masks secrets in the whole line (traceback included)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def setup_logging(
    level: str = "INFO", *, as_json: bool = False, stream: TextIO | None = None
) -> None:
    handler = logging.StreamHandler(stream)
    inner = (
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setFormatter(RedactingFormatter(inner))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
