"""The sandbox's in-memory records and the read-only views handed to tests.

Stored records (`Chat`, `StoredMessage`, `StoredFile`) are mutable and private to the
sandbox; tests get `SandboxMessage` / `CallbackAnswer` snapshots, which are plain data that
serialise to JSON and back, so the in-process and the HTTP client return the same objects.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.signals import Signal


@dataclass(frozen=True)
class UserSpec:
    """A person on the user side, as Telegram describes them in `from`."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UserSpec:
        return cls(
            user_id=int(data["user_id"]),
            first_name=str(data.get("first_name") or f"User {data['user_id']}"),
            last_name=data.get("last_name"),
            username=data.get("username"),
            language_code=data.get("language_code"),
        )


@dataclass
class Chat:
    chat_id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    user: UserSpec | None = None  # the other party of a private chat
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    last_action: str | None = None
    signal: Signal = field(default_factory=Signal)
    bot_removed: bool = False  # a group that removed the bot: sends answer 403, as Telegram's
    # A group upgraded to a supergroup: sends and edits answer 400 with the new id.
    migrated_to: int | None = None

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def to_api(self) -> dict[str, Any]:
        if self.is_group:
            return {"id": self.chat_id, "type": self.type, "title": self.title or ""}
        assert self.user is not None
        data: dict[str, Any] = {
            "id": self.chat_id,
            "type": "private",
            "first_name": self.user.first_name,
        }
        if self.user.last_name:
            data["last_name"] = self.user.last_name
        if self.user.username:
            data["username"] = self.user.username
        return data


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    file_name: str | None
    mime_type: str | None
    width: int | None = None
    height: int | None = None

    def to_api_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }

    def to_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def to_photo_sizes(self) -> list[dict[str, Any]]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": len(self.content),
                "width": self.width or 1,
                "height": self.height or 1,
            }
        ]


@dataclass
class StoredMessage:
    """One message as Telegram stores it; `content` holds the Telegram fields that can change."""

    chat: Chat
    message_id: int
    sender: dict[str, Any]
    from_bot: bool
    content: dict[str, Any]
    sandbox_html: str | None = None
    reply_keyboard: dict[str, Any] | None = None  # non-inline markup the bot attached
    date: int = field(default_factory=lambda: int(time.time()))
    edit_date: int | None = None
    reply_to: StoredMessage | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    version: int = 0

    def to_api(self, with_reply: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        data.update(copy.deepcopy(self.content))
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.sandbox_html is not None:
            data["sandbox_html"] = self.sandbox_html
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        return data

    @property
    def visible_text(self) -> str:
        return str(self.content.get("text") or self.content.get("caption") or "")

    def snapshot(self) -> SandboxMessage:
        return SandboxMessage(
            chat_id=self.chat.chat_id,
            message_id=self.message_id,
            from_bot=self.from_bot,
            sender_id=int(self.sender["id"]),
            text=self.visible_text,
            html=self.sandbox_html,
            reply_markup=copy.deepcopy(self.content.get("reply_markup")),
            reply_keyboard=copy.deepcopy(self.reply_keyboard),
            document=copy.deepcopy(self.content.get("document")),
            photo=copy.deepcopy(self.content.get("photo")),
            location=copy.deepcopy(self.content.get("location")),
            deleted=self.deleted,
            version=self.version,
            history=copy.deepcopy(self.history),
            raw=self.to_api(),
        )


@dataclass(frozen=True)
class SandboxMessage:
    """A snapshot of one chat message as a person would see it (plus the raw Telegram JSON)."""

    chat_id: int
    message_id: int
    from_bot: bool
    sender_id: int
    text: str  # visible text, or the caption of a document/photo
    html: str | None  # the raw string the bot sent with parse_mode=HTML
    reply_markup: dict[str, Any] | None
    reply_keyboard: dict[str, Any] | None
    document: dict[str, Any] | None
    photo: list[dict[str, Any]] | None
    location: dict[str, Any] | None
    deleted: bool
    version: int  # increases on every edit or deletion
    history: list[dict[str, Any]]  # earlier versions: text, html, reply_markup, edit_date
    raw: dict[str, Any]

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        if not self.reply_markup:
            return []
        rows: list[list[dict[str, Any]]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def button_texts(self) -> list[str]:
        """Button labels flattened left-to-right, top-to-bottom (the order `press` indexes)."""
        return [str(b["text"]) for row in self.buttons for b in row]

    @property
    def edited(self) -> bool:
        return bool(self.history)

    def to_json(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "sender_id": self.sender_id,
            "text": self.text,
            "html": self.html,
            "reply_markup": self.reply_markup,
            "reply_keyboard": self.reply_keyboard,
            "document": self.document,
            "photo": self.photo,
            "location": self.location,
            "deleted": self.deleted,
            "version": self.version,
            "history": self.history,
            "raw": self.raw,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxMessage:
        return cls(**data)


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int

    def to_json(self) -> dict[str, Any]:
        return {
            "callback_query_id": self.callback_query_id,
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
            "cache_time": self.cache_time,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallbackAnswer:
        return cls(**data)


@dataclass(frozen=True)
class SandboxEvent:
    """Something a watcher (the terminal) may want to show: a new, edited or deleted message."""

    kind: str  # "message" | "edit" | "delete"
    message: SandboxMessage
