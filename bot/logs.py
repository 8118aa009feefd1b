"""Logging set-up: readable lines by default, JSON lines for log collectors.

The token never reaches a log: httpx logs request URLs (which contain it), so
its logger is kept at WARNING, and a filter masks anything token-shaped.
"""

from __future__ import annotations

import json
import logging
import re

TOKEN_SHAPE = re.compile(r"\d{5,20}:[A-Za-z0-9_-]{30,60}")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TOKEN_SHAPE.search(message):
            record.msg, record.args = TOKEN_SHAPE.sub("<token>", message), None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = TOKEN_SHAPE.sub("<token>", self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


def setup_logging(level: str = "INFO", *, as_json: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactTokens())
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
