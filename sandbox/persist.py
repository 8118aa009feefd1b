"""The sandbox's world kept in a file, so a restarted sandbox still knows its people.

`python -m bot` without a token runs the bot against a sandbox while the bot's database
lives on: a sandbox that forgot its users on restart turned "Sari (id)" into "User 5 (en)"
at her next message, and the bot renamed her.  `kept_world` loads the world from a small
JSON file at start, writes it again whenever it changed (checked every second) and once
more at the end.  Each write goes to a temporary file in the same directory that then
replaces the old one, so a crash leaves the old file or the new one, never half of one.

Kept: the people (names, @usernames, languages), the chats (private and groups, their
titles, whether the bot was removed), each chat's most recent messages with the next
message id (the bot's database refers to messages by id: a restarted chat must not hand
out the same ids again), and the update counter.  Not kept: pending updates and callback
answers (a restart drops them, as Telegram drops unconfirmed ones after a while), files
(a restored message still shows its document's name, the file itself is gone), watchers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sandbox.models import Chat, StoredMessage, UserSpec
from sandbox.world import SandboxWorld

log = logging.getLogger("sandbox")

FORMAT_VERSION = 1
RECENT_MESSAGES = 100  # per chat
HISTORY_KEPT = 5  # earlier versions kept per message (an edited message still says so)
SAVE_EVERY_SECONDS = 1.0


class WorldFile:
    """One world's file: `load` at start, `save` when it changed."""

    def __init__(self, path: Path, *, recent: int = RECENT_MESSAGES) -> None:
        self.path = path
        self.recent = recent
        self._written: str | None = None

    # ---- reading ------------------------------------------------------------------------
    def load(self, world: SandboxWorld) -> bool:
        """Fills `world` from the file; False when there is none (or it cannot be read: it
        is then moved aside as `<name>.unreadable`, and the sandbox starts empty)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
                raise ValueError(f"not a sandbox world file (version {data.get('version')!r})")
            _restore(world, data)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            aside = self.path.with_name(self.path.name + ".unreadable")
            os.replace(self.path, aside)
            log.warning("sandbox: %s could not be read (%s); kept as %s, starting empty",
                        self.path, exc, aside)
            world.reset()
            return False
        self._written = text
        return True

    # ---- writing ------------------------------------------------------------------------
    def save(self, world: SandboxWorld) -> bool:
        """Writes the world if it changed since the last write; True when it wrote."""
        text = json.dumps(snapshot(world, self.recent), ensure_ascii=False, indent=1)
        if text == self._written:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        self._written = text
        return True


@contextlib.asynccontextmanager
async def kept_world(
    world: SandboxWorld,
    path: Path | None,
    *,
    fresh: bool = False,
    every: float = SAVE_EVERY_SECONDS,
) -> AsyncIterator[WorldFile | None]:
    """The world loaded from `path` (unless `fresh`: then it starts empty and the file is
    overwritten), saved while the block runs and at its end.  `path` None keeps nothing."""
    if path is None:
        yield None
        return
    store = WorldFile(path)
    if not fresh and store.load(world):
        log.info("sandbox: %d people and %d chats from %s", len(world.users),
                 len(world.chats), path)
    saver = asyncio.get_running_loop().create_task(_keep_saving(store, world, every),
                                                   name="sandbox-world-saver")
    try:
        yield store
    finally:
        saver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await saver
        _save_logged(store, world)


async def _keep_saving(store: WorldFile, world: SandboxWorld, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        _save_logged(store, world)


def _save_logged(store: WorldFile, world: SandboxWorld) -> None:
    try:
        store.save(world)
    except OSError as exc:  # a full disk must not stop the chat; the next save tries again
        log.warning("sandbox: could not save the world to %s: %s", store.path, exc)


# ---- the file's shape -----------------------------------------------------------------------
def snapshot(world: SandboxWorld, recent: int = RECENT_MESSAGES) -> dict[str, Any]:
    """The world as plain JSON data."""
    users = {**world.users}
    for chat in world.chats.values():  # the other party of every private chat is a person
        if chat.user is not None:
            users.setdefault(chat.user.user_id, chat.user)
    return {
        "version": FORMAT_VERSION,
        "next_update_id": world.next_update_id,
        "users": [u.to_json() for _, u in sorted(users.items())],
        "chats": [_chat_json(chat, recent) for _, chat in sorted(world.chats.items())],
    }


def _chat_json(chat: Chat, recent: int) -> dict[str, Any]:
    kept = sorted(chat.messages)[-recent:] if recent > 0 else []
    return {
        "chat_id": chat.chat_id,
        "type": chat.type,
        "title": chat.title,
        "user_id": chat.user.user_id if chat.user is not None else None,
        "next_message_id": chat.next_message_id,
        "bot_removed": chat.bot_removed,
        "migrated_to": chat.migrated_to,
        "messages": [_message_json(chat.messages[i]) for i in kept],
    }


def _message_json(message: StoredMessage) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "sender": message.sender,
        "from_bot": message.from_bot,
        "content": message.content,
        "sandbox_html": message.sandbox_html,
        "reply_keyboard": message.reply_keyboard,
        "date": message.date,
        "edit_date": message.edit_date,
        "reply_to": message.reply_to.message_id if message.reply_to is not None else None,
        "history": message.history[-HISTORY_KEPT:],
        "deleted": message.deleted,
        "version": message.version,
    }


def _restore(world: SandboxWorld, data: dict[str, Any]) -> None:
    users = {u.user_id: u for u in (UserSpec.from_json(item) for item in data["users"])}
    chats: dict[int, Chat] = {}
    for item in data["chats"]:
        chat = Chat(
            chat_id=int(item["chat_id"]),
            type=str(item["type"]),
            title=item.get("title"),
            user=users.get(item["user_id"]) if item.get("user_id") is not None else None,
            next_message_id=int(item["next_message_id"]),
            bot_removed=bool(item.get("bot_removed")),
            migrated_to=item.get("migrated_to"),
        )
        if chat.type == "private" and chat.user is None:
            raise ValueError(f"private chat {chat.chat_id} without its person")
        for stored in item["messages"]:
            message = _message(chat, stored)
            chat.messages[message.message_id] = message
        chat.next_message_id = max(chat.next_message_id, max(chat.messages, default=0) + 1)
        chats[chat.chat_id] = chat
    world.reset()
    world.users.update(users)
    world.chats.update(chats)
    world.next_update_id = max(world.next_update_id, int(data.get("next_update_id") or 0))


def _message(chat: Chat, data: dict[str, Any]) -> StoredMessage:
    reply_to = data.get("reply_to")
    return StoredMessage(
        chat=chat,
        message_id=int(data["message_id"]),
        sender=dict(data["sender"]),
        from_bot=bool(data["from_bot"]),
        content=dict(data["content"]),
        sandbox_html=data.get("sandbox_html"),
        reply_keyboard=data.get("reply_keyboard"),
        date=int(data["date"]),
        edit_date=data.get("edit_date"),
        reply_to=chat.messages.get(int(reply_to)) if reply_to is not None else None,
        history=list(data.get("history") or []),
        deleted=bool(data.get("deleted")),
        version=int(data.get("version") or 0),
    )
