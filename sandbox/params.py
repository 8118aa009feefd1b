"""Bot API call parameters from any of the encodings Telegram accepts.

PTB sends form-encoded bodies with nested objects as JSON strings and multipart bodies for
uploads; curl users send query strings or JSON.  All arrive here as one `Params` whose typed
getters coerce like Telegram (`"true"`, `"123"`, a JSON string for `reply_markup`) and answer
Telegram's 400 texts when a value is missing or malformed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from sandbox.errors import bad_request


@dataclass(frozen=True)
class Upload:
    content: bytes
    filename: str | None
    content_type: str | None


class Params:
    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method != "POST" or not request.can_read_body:
            return cls(values, uploads)
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError:
                raise bad_request("can't parse JSON encoded request body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON request body must be an object")
            values.update(body)
        elif content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue  # nested multiparts are not part of the Bot API
                data = await part.read()
                if part.filename is not None:
                    uploads[part.name] = Upload(
                        bytes(data), part.filename, part.headers.get("Content-Type")
                    )
                else:
                    values[part.name] = bytes(data).decode("utf-8")
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(value.file.read(), value.filename, value.content_type)
                else:
                    values[key] = value
        return cls(values, uploads)

    def has(self, name: str) -> bool:
        return name in self.values and self.values[name] is not None

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad_request(f"{name} is empty" if name != "text" else "message text is empty")
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0", ""):
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def json(self, name: str) -> Any:
        """An object/array parameter that may arrive as a JSON string (form) or as-is (JSON)."""
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self) -> int | str:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
