"""Files the sandbox holds: uploads by the bot or by users, addressable by file_id and path.

A file_id the sandbox handed out can be re-sent by the bot and fetched with getFile plus a
download from `/file/bot<token>/<file_path>`, exactly the round trip PTB performs.
"""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import struct

from sandbox.models import StoredFile


def image_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG, read from its header; None if unknown."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return int(width), int(height)
    if content.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                return None
            marker = content[i + 1]
            length = struct.unpack(">H", content[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", content[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def clear(self) -> None:
        self._by_id.clear()
        self._by_path.clear()

    def add(
        self, content: bytes, *, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = next(self._counter)
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            extension = ".jpg"
        folder = "photos" if kind == "photo" else "documents"
        prefix = "AgAC" if kind == "photo" else "BQAC"
        size = image_size(content) if kind == "photo" else None
        stored = StoredFile(
            file_id=f"{prefix}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{number:08d}",
            content=content,
            file_path=f"{folder}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)
