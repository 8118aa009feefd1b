"""The sandbox's Telegram world: chats, messages, pending updates, and the user side.

Both halves of the sandbox act on this one object: the Bot API methods (bot side) and the
people that tests or the terminal impersonate (user side).  Everything runs on one event
loop and mutations never await, so no locks are needed; waiters are woken by `Signal`s.
"""

# The wait helpers take `timeout=` on purpose (tests read better with it); each one turns it
# into a single deadline, which is what ASYNC109 worries about.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections.abc import Callable
from typing import Any

from sandbox.errors import SandboxError, SandboxTimeout
from sandbox.files import FileStore
from sandbox.markup import user_entities
from sandbox.models import (
    CallbackAnswer,
    Chat,
    SandboxEvent,
    SandboxMessage,
    StoredMessage,
    UserSpec,
)
from sandbox.signals import Signal

MessagePredicate = Callable[[SandboxMessage], bool]

# Update types Telegram sends when allowed_updates is empty / never set.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def update_chat_id(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to, for per-chat ordering of webhook deliveries."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        if "chat" in value:
            return int(value["chat"]["id"])
        if "message" in value and isinstance(value["message"], dict):
            return int(value["message"]["chat"]["id"])
        if "from" in value:
            return int(value["from"]["id"])
    return None


class SandboxWorld:
    def __init__(self, bot_username: str) -> None:
        self.bot_username = bot_username
        self.bot_id: int | None = None  # learned from the first token that calls the server
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, UserSpec] = {}
        self.files = FileStore()
        self.updates: dict[int, dict[str, Any]] = {}  # pending, in update_id order
        # Telegram never hands out an update_id twice while updates are kept (24 h), and the
        # bot remembers the ids it handled (bot/ops/dedup.py): a sandbox restarted on the
        # same database must not start from the same number again.  Seconds × 10,000 grows
        # faster than any run here makes updates.
        self.next_update_id = int(time.time()) * 10_000
        self.allowed_updates: list[str] | None = None
        self.updates_signal = Signal()
        self.answers_signal = Signal()
        self.pending_callbacks: dict[str, tuple[int, int]] = {}  # id -> (chat_id, message_id)
        self.answers: dict[str, CallbackAnswer] = {}
        self._callback_ids = itertools.count(4_210_000_000_000_001)
        self._chat_signals: dict[int, Signal] = {}
        self._watchers: list[asyncio.Queue[SandboxEvent]] = []

    # ---- bot identity -------------------------------------------------------------------
    def bot_user(self, bot_id: int | None = None) -> dict[str, Any]:
        return {
            "id": bot_id if bot_id is not None else (self.bot_id or 1),
            "is_bot": True,
            "first_name": "Gotong Sandbox",
            "username": self.bot_username,
        }

    # ---- chats and messages -------------------------------------------------------------
    def chat_signal(self, chat_id: int) -> Signal:
        return self._chat_signals.setdefault(chat_id, Signal())

    def private_chat(self, user: UserSpec) -> Chat:
        self.users[user.user_id] = user
        chat = self.chats.get(user.user_id)
        if chat is None:
            chat = Chat(chat_id=user.user_id, type="private", user=user)
            self.chats[user.user_id] = chat
        chat.user = user  # a renamed person shows the new name, as in Telegram
        return chat

    def group_chat(self, chat_id: int, title: str | None = None, type: str | None = None) -> Chat:
        if chat_id >= 0:
            raise SandboxError(f"group chat ids are negative, got {chat_id}")
        chat = self.chats.get(chat_id)
        if chat is None:
            kind = type or ("supergroup" if chat_id < -1_000_000_000_000 else "group")
            chat = Chat(chat_id=chat_id, type=kind, title=title or f"Group {chat_id}")
            self.chats[chat_id] = chat
        elif title:
            chat.title = title
        return chat

    def add_message(
        self,
        chat: Chat,
        *,
        sender: dict[str, Any],
        from_bot: bool,
        content: dict[str, Any],
        sandbox_html: str | None = None,
        reply_keyboard: dict[str, Any] | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        message = StoredMessage(
            chat=chat,
            message_id=chat.next_message_id,
            sender=sender,
            from_bot=from_bot,
            content=content,
            sandbox_html=sandbox_html,
            reply_keyboard=reply_keyboard,
            reply_to=reply_to,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        self._changed(chat, "message", message)
        return message

    def edit_message(
        self,
        message: StoredMessage,
        changes: dict[str, Any],
        *,
        sandbox_html: str | None,
        drop: tuple[str, ...] = (),
    ) -> None:
        message.history.append(
            {
                "text": message.visible_text,
                "html": message.sandbox_html,
                "reply_markup": copy.deepcopy(message.content.get("reply_markup")),
                "edit_date": message.edit_date,
            }
        )
        for key in drop:
            message.content.pop(key, None)
        message.content.update(changes)
        message.sandbox_html = sandbox_html
        message.edit_date = int(time.time())
        message.version += 1
        self._changed(message.chat, "edit", message)

    def delete_message(self, message: StoredMessage) -> None:
        message.deleted = True
        message.version += 1
        self._changed(message.chat, "delete", message)

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            return None
        return message

    def _changed(self, chat: Chat, kind: str, message: StoredMessage) -> None:
        self.chat_signal(chat.chat_id).fire()
        if self._watchers:
            event = SandboxEvent(kind, message.snapshot())
            for queue in self._watchers:
                queue.put_nowait(event)

    def watch(self) -> asyncio.Queue[SandboxEvent]:
        """A queue that receives every new, edited and deleted message from now on."""
        queue: asyncio.Queue[SandboxEvent] = asyncio.Queue()
        self._watchers.append(queue)
        return queue

    def unwatch(self, queue: asyncio.Queue[SandboxEvent]) -> None:
        if queue in self._watchers:
            self._watchers.remove(queue)

    # ---- updates ------------------------------------------------------------------------
    def push_update(self, kind: str, payload: dict[str, Any]) -> int | None:
        allowed = self.allowed_updates
        if allowed:
            if kind not in allowed:
                return None
        elif kind in _DEFAULT_EXCLUDED_UPDATES:
            return None
        update_id = self.next_update_id
        self.next_update_id += 1
        self.updates[update_id] = {"update_id": update_id, kind: payload}
        self.updates_signal.fire()
        return update_id

    def confirm_updates_before(self, offset: int) -> None:
        for update_id in [u for u in self.updates if u < offset]:
            del self.updates[update_id]

    def keep_last_updates(self, count: int) -> None:
        for update_id in list(self.updates)[: max(0, len(self.updates) - count)]:
            del self.updates[update_id]

    def drop_pending_updates(self) -> None:
        self.updates.clear()

    # ---- user side: actions -------------------------------------------------------------
    def _user_chat(self, user: UserSpec, chat_id: int | None) -> Chat:
        self.users[user.user_id] = user
        if chat_id is None or chat_id == user.user_id:
            return self.private_chat(user)
        if chat_id > 0:
            raise SandboxError(f"user {user.user_id} cannot write in {chat_id}'s private chat")
        return self.group_chat(chat_id)

    def _user_message(
        self, user: UserSpec, chat_id: int | None, content: dict[str, Any], reply_to: int | None
    ) -> SandboxMessage:
        chat = self._user_chat(user, chat_id)
        replied = None
        if reply_to is not None:
            replied = self.find_message(chat.chat_id, reply_to)
            if replied is None:
                raise SandboxError(f"no message {reply_to} in chat {chat.chat_id} to reply to")
        message = self.add_message(
            chat, sender=user.to_api(), from_bot=False, content=content, reply_to=replied
        )
        self.push_update("message", message.to_api())
        return message.snapshot()

    def send_text(
        self, user: UserSpec, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> SandboxMessage:
        if not text.strip():
            raise SandboxError("Telegram clients do not send empty messages")
        content: dict[str, Any] = {"text": text}
        entities = user_entities(text)
        if entities:
            content["entities"] = entities
        return self._user_message(user, chat_id, content, reply_to)

    def send_file(
        self,
        user: UserSpec,
        *,
        kind: str,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> SandboxMessage:
        if kind not in ("document", "photo"):
            raise SandboxError(f"unknown file kind {kind!r}")
        if not content:
            raise SandboxError("cannot upload an empty file")
        stored = self.files.add(content, kind=kind, file_name=file_name, mime_type=mime_type)
        fields: dict[str, Any] = (
            {"photo": stored.to_photo_sizes()}
            if kind == "photo"
            else {"document": stored.to_document()}
        )
        if caption:
            fields["caption"] = caption
            entities = user_entities(caption)
            if entities:
                fields["caption_entities"] = entities
        return self._user_message(user, chat_id, fields, None)

    def send_location(
        self, user: UserSpec, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> SandboxMessage:
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        return self._user_message(user, chat_id, content, None)

    def press(
        self,
        user: UserSpec,
        chat_id: int,
        message_id: int,
        *,
        data: str | None = None,
        text: str | None = None,
        index: int | None = None,
    ) -> str:
        """Press an inline button; return the callback_query id the bot must answer."""
        self.users[user.user_id] = user
        message = self.find_message(chat_id, message_id)
        if message is None:
            raise SandboxError(f"no message {message_id} in chat {chat_id}")
        markup = message.content.get("reply_markup") or {}
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
        labels = [b["text"] for b in buttons]
        if data is not None:
            # Data that no current button carries is still sent: that is what a stale
            # keyboard (cached by the app after an edit) or a forged client produces, and
            # the bot must re-check every callback anyway.
            chosen = [b for b in buttons if b.get("callback_data") == data] or [
                {"text": "(stale or forged button)", "callback_data": data}
            ]
        elif text is not None:
            chosen = [b for b in buttons if b["text"] == text]
        elif index is not None:
            chosen = buttons[index : index + 1] if 0 <= index < len(buttons) else []
        else:
            raise SandboxError("press needs data=, text= or index=")
        if not chosen:
            wanted = data if data is not None else text if text is not None else index
            raise SandboxError(f"message {message_id} has no button {wanted!r}; buttons: {labels}")
        button = chosen[0]
        if "callback_data" not in button:
            raise SandboxError(f"button {button['text']!r} is not a callback button: {button}")
        query_id = str(next(self._callback_ids))
        self.pending_callbacks[query_id] = (chat_id, message_id)
        self.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": message.to_api(),
                "chat_instance": str(abs(chat_id) * 7919 + 1_000_003),
                "data": button["callback_data"],
            },
        )
        return query_id

    def record_answer(self, answer: CallbackAnswer) -> None:
        self.pending_callbacks.pop(answer.callback_query_id, None)
        self.answers[answer.callback_query_id] = answer
        self.answers_signal.fire()

    # ---- user side: reading and waiting -------------------------------------------------
    def messages(self, chat_id: int) -> list[SandboxMessage]:
        chat = self.chats.get(chat_id)
        return [] if chat is None else [m.snapshot() for m in chat.messages.values()]

    def message(self, chat_id: int, message_id: int) -> SandboxMessage:
        chat = self.chats.get(chat_id)
        if chat is None or message_id not in chat.messages:
            raise SandboxError(f"no message {message_id} in chat {chat_id}")
        return chat.messages[message_id].snapshot()

    def last_message_id(self, chat_id: int) -> int:
        chat = self.chats.get(chat_id)
        return 0 if chat is None else chat.next_message_id - 1

    def describe_chat(self, chat_id: int, last: int = 8) -> str:
        chat = self.chats.get(chat_id)
        if chat is None or not chat.messages:
            return f"chat {chat_id} has no messages"
        lines = [f"last messages in chat {chat_id}:"]
        for m in list(chat.messages.values())[-last:]:
            who = "bot" if m.from_bot else f"user {m.sender['id']}"
            flags = " (deleted)" if m.deleted else " (edited)" if m.history else ""
            lines.append(f"  #{m.message_id} {who}{flags}: {m.visible_text[:200]!r}")
        return "\n".join(lines)

    async def wait_for_message(
        self,
        chat_id: int,
        after_message_id: int | None = None,
        predicate: MessagePredicate | None = None,
        timeout: float = 10.0,
        from_bot: bool | None = True,
    ) -> SandboxMessage:
        """The first message after `after_message_id` (default: now) matching the filters."""
        after = self.last_message_id(chat_id) if after_message_id is None else after_message_id
        scanned = after  # messages never move, so each is checked once

        def probe() -> SandboxMessage | None:
            nonlocal scanned
            chat = self.chats.get(chat_id)
            if chat is None:
                return None
            for message_id in range(scanned + 1, chat.next_message_id):
                scanned = message_id
                message = chat.messages[message_id]
                if from_bot is not None and message.from_bot != from_bot:
                    continue
                snapshot = message.snapshot()
                if predicate is None or predicate(snapshot):
                    return snapshot
            return None

        found = await self.chat_signal(chat_id).wait_for(probe, timeout)
        if found is None:
            raise SandboxTimeout(
                f"no {'bot ' if from_bot else ''}message after #{after} in chat {chat_id} "
                f"within {timeout}s; {self.describe_chat(chat_id)}"
            )
        return found

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        after_version: int | None = None,
        predicate: MessagePredicate | None = None,
        timeout: float = 10.0,
    ) -> SandboxMessage:
        """The message once it changed (edit or deletion) past `after_version` (default: now)."""
        current = self.message(chat_id, message_id).version
        after = current if after_version is None else after_version

        def probe() -> SandboxMessage | None:
            chat = self.chats.get(chat_id)
            message = None if chat is None else chat.messages.get(message_id)
            if message is None or message.version <= after:
                return None
            snapshot = message.snapshot()
            return snapshot if predicate is None or predicate(snapshot) else None

        found = await self.chat_signal(chat_id).wait_for(probe, timeout)
        if found is None:
            raise SandboxTimeout(
                f"message {message_id} in chat {chat_id} was not edited within {timeout}s; "
                f"{self.describe_chat(chat_id)}"
            )
        return found

    async def wait_for_change(
        self,
        chat_id: int,
        message_id: int,
        after_version: int,
        after_message_id: int,
        timeout: float = 10.0,
    ) -> tuple[str, SandboxMessage]:
        """Whichever comes first: the message changes, or the bot posts a new message.

        This is what a person sees after pressing a button, and handlers legitimately do
        either, so `press` waits for both.  Returns ("edit" | "message", snapshot).
        """
        scanned = after_message_id

        def probe() -> tuple[str, SandboxMessage] | None:
            nonlocal scanned
            chat = self.chats.get(chat_id)
            if chat is None:
                return None
            pressed = chat.messages.get(message_id)
            if pressed is not None and pressed.version > after_version:
                return "edit", pressed.snapshot()
            for new_id in range(scanned + 1, chat.next_message_id):
                scanned = new_id
                if chat.messages[new_id].from_bot:
                    return "message", chat.messages[new_id].snapshot()
            return None

        found = await self.chat_signal(chat_id).wait_for(probe, timeout)
        if found is None:
            raise SandboxTimeout(
                f"after the press, message {message_id} was not edited and no bot message "
                f"arrived in chat {chat_id} within {timeout}s; {self.describe_chat(chat_id)}"
            )
        return found

    async def wait_for_callback_answer(
        self, callback_query_id: str, timeout: float = 10.0
    ) -> CallbackAnswer:
        found = await self.answers_signal.wait_for(
            lambda: self.answers.get(callback_query_id), timeout
        )
        if found is None:
            raise SandboxTimeout(f"callback query {callback_query_id} not answered in {timeout}s")
        return found

    def reset(self) -> None:
        """Forget chats, people, files and pending updates; keep the bot's configuration.

        The update_id counter keeps increasing: PTB remembers its offset, and restarting the
        ids would make it silently skip the next updates.
        """
        self.chats.clear()
        self.users.clear()
        self.files.clear()
        self.updates.clear()
        self.pending_callbacks.clear()
        self.answers.clear()
        for signal in self._chat_signals.values():
            signal.fire()
        self.updates_signal.fire()
