"""A test client that behaves like people using the bot: send, tap, read, wait.

Hundreds of tests talk to the bot through this, so it favours short calls that wait for the
bot's visible reaction (`send_and_wait`, `press`) and failures that show the chat's content.
`SandboxClient(server)` works in-process; `HttpSandboxClient(url)` against a sandbox in
another process, with the same interface.
"""

# The wait helpers take `timeout=` on purpose (tests read better with it); each one turns it
# into a single deadline, which is what ASYNC109 worries about.
# ruff: noqa: ASYNC109

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sandbox.backends import Backend, HttpBackend, LocalBackend
from sandbox.errors import SandboxError
from sandbox.models import CallbackAnswer, SandboxMessage, UserSpec
from sandbox.server import SandboxServer
from sandbox.stats import Stats
from sandbox.world import MessagePredicate

Expect = Literal["any", "edit", "message", "answer"]
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class PressResult:
    """What a person sees after tapping a button: the toast/alert and the chat's reaction."""

    answer: CallbackAnswer
    message: SandboxMessage | None  # the edited message, or the bot's new message
    edited: bool  # True when `message` is the pressed message after an edit (or deletion)


class SandboxUser:
    def __init__(self, backend: Backend, spec: UserSpec) -> None:
        self._backend = backend
        self.spec = spec
        self._cursor: dict[int, int] = {}  # chat_id -> last message id this person "read"

    @property
    def user_id(self) -> int:
        return self.spec.user_id

    @property
    def chat_id(self) -> int:
        """This person's private chat with the bot."""
        return self.spec.user_id

    def _chat(self, chat_id: int | None) -> int:
        return self.chat_id if chat_id is None else chat_id

    def _advance(self, chat_id: int, message_id: int) -> None:
        self._cursor[chat_id] = max(self._cursor.get(chat_id, 0), message_id)

    # ---- acting -------------------------------------------------------------------------
    async def send(
        self, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> SandboxMessage:
        """Type `text` (a command or plain text) into the chat; returns the person's message."""
        message = await self._backend.send_text(self.spec, text, chat_id, reply_to)
        self._advance(message.chat_id, message.message_id)
        return message

    async def send_and_wait(
        self,
        text: str,
        *,
        chat_id: int | None = None,
        predicate: MessagePredicate | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> SandboxMessage:
        """Send `text` and return the bot's next message in that chat."""
        sent = await self.send(text, chat_id=chat_id)
        return await self.next_message(chat_id=sent.chat_id, predicate=predicate, timeout=timeout)

    async def next_message(
        self,
        *,
        chat_id: int | None = None,
        predicate: MessagePredicate | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        after: SandboxMessage | None = None,
    ) -> SandboxMessage:
        """The bot's next message after the last one this person sent or was handed (or
        after `after`, for a message that may have come before or after other replies)."""
        chat = self._chat(chat_id)
        if after is None:
            start = self._cursor.get(chat, self._backend.last_message_id(chat))
        else:
            start = after.message_id
        found = await self._backend.wait_for_message(chat, start, predicate, timeout, True)
        self._advance(chat, found.message_id)
        return found

    async def expect_replies(
        self, n: int, *, chat_id: int | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> list[SandboxMessage]:
        """The bot's next `n` messages in the chat, in order."""
        return [await self.next_message(chat_id=chat_id, timeout=timeout) for _ in range(n)]

    async def press(
        self,
        message: SandboxMessage | int | None = None,
        button: str | int | None = None,
        *,
        data: str | None = None,
        chat_id: int | None = None,
        expect: Expect = "any",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> PressResult:
        """Tap a button and wait for the bot's answer and its visible reaction.

        `message`: a message, its id, or None for the latest bot message with a keyboard.
        `button`: the label (str) or the 0-based index left-to-right, top-to-bottom (int);
        or pass `data=` to pick by callback_data.  `expect` chooses what to wait for after
        the callback answer: "any" (edit of this message or a new bot message), "edit",
        "message", or "answer" (the answer only, for handlers that show just a toast).
        """
        target = self._resolve(message, chat_id)
        if button is None and data is None:
            raise SandboxError(f"say which button to press; buttons: {target.button_texts}")
        after_message_id = self._backend.last_message_id(target.chat_id)
        query_id = await self._backend.press(
            self.spec,
            target.chat_id,
            target.message_id,
            data=data,
            text=button if isinstance(button, str) else None,
            index=button if isinstance(button, int) else None,
        )
        answer = await self._backend.wait_for_callback_answer(query_id, timeout)
        if expect == "answer":
            return PressResult(answer, None, False)
        if expect == "edit":
            edited = await self._backend.wait_for_edit(
                target.chat_id, target.message_id, target.version, None, timeout
            )
            return PressResult(answer, edited, True)
        if expect == "message":
            new = await self._backend.wait_for_message(
                target.chat_id, after_message_id, None, timeout, True
            )
            self._advance(new.chat_id, new.message_id)
            return PressResult(answer, new, False)
        kind, changed = await self._backend.wait_for_change(
            target.chat_id, target.message_id, target.version, after_message_id, timeout
        )
        if kind == "message":
            self._advance(changed.chat_id, changed.message_id)
        return PressResult(answer, changed, kind == "edit")

    def _resolve(self, message: SandboxMessage | int | None, chat_id: int | None) -> SandboxMessage:
        chat = self._chat(chat_id if not isinstance(message, SandboxMessage) else message.chat_id)
        if isinstance(message, SandboxMessage):
            return self._backend.message(chat, message.message_id)  # current version
        if isinstance(message, int):
            return self._backend.message(chat, message)
        for candidate in reversed(self._backend.messages(chat)):
            if candidate.from_bot and candidate.buttons and not candidate.deleted:
                return candidate
        raise SandboxError(f"no bot message with buttons in chat {chat}")

    async def upload_document(
        self,
        content: bytes,
        file_name: str = "file.txt",
        *,
        caption: str | None = None,
        mime_type: str | None = None,
        chat_id: int | None = None,
    ) -> SandboxMessage:
        message = await self._backend.send_file(
            self.spec,
            kind="document",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            chat_id=chat_id,
        )
        self._advance(message.chat_id, message.message_id)
        return message

    async def upload_photo(
        self,
        content: bytes,
        file_name: str = "photo.jpg",
        *,
        caption: str | None = None,
        mime_type: str | None = "image/jpeg",
        chat_id: int | None = None,
    ) -> SandboxMessage:
        message = await self._backend.send_file(
            self.spec,
            kind="photo",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            chat_id=chat_id,
        )
        self._advance(message.chat_id, message.message_id)
        return message

    async def send_location(
        self, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> SandboxMessage:
        message = await self._backend.send_location(self.spec, latitude, longitude, chat_id)
        self._advance(message.chat_id, message.message_id)
        return message

    # ---- reading ------------------------------------------------------------------------
    def messages(self, chat_id: int | None = None) -> list[SandboxMessage]:
        """Every message of the chat in order, bot's and people's, deleted ones flagged."""
        return self._backend.messages(self._chat(chat_id))

    def bot_messages(self, chat_id: int | None = None) -> list[SandboxMessage]:
        return [m for m in self.messages(chat_id) if m.from_bot and not m.deleted]

    def last_bot_message(self, chat_id: int | None = None) -> SandboxMessage | None:
        found = self.bot_messages(chat_id)
        return found[-1] if found else None

    def commands(self, chat_id: int | None = None) -> list[str]:
        """The command menu this person sees in the chat (Telegram's scope precedence)."""
        found = self._backend.visible_commands(
            self._chat(chat_id), self.user_id, self.spec.language_code
        )
        return [c["command"] for c in found]


class SandboxClient:
    """Entry point for tests: `client.user(42).send_and_wait("/start")`."""

    def __init__(self, server: SandboxServer | None = None, *, backend: Backend | None = None):
        if backend is None:
            if server is None:
                raise TypeError("SandboxClient needs a SandboxServer (or a backend)")
            backend = LocalBackend(server)
        self.backend = backend
        self._users: dict[int, SandboxUser] = {}

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
    ) -> SandboxUser:
        """The person with this id; the same object on every call, renamed if a name is given."""
        existing = self._users.get(user_id)
        spec = UserSpec(
            user_id=user_id,
            first_name=first_name or (existing.spec.first_name if existing else f"User {user_id}"),
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        if existing is not None:
            existing.spec = spec
            return existing
        created = SandboxUser(self.backend, spec)
        self._users[user_id] = created
        return created

    async def create_group(self, chat_id: int, title: str, type: str | None = None) -> None:
        await self.backend.create_group(chat_id, title, type)

    async def migrate_group(
        self, old_chat_id: int, new_chat_id: int, by: UserSpec | None = None
    ) -> None:
        """The group becomes a supergroup (`sandbox.migration`): old-chat sends answer 400
        with `migrate_to_chat_id`, and the bot gets both service messages."""
        await self.backend.migrate_group(old_chat_id, new_chat_id, by)

    def messages(self, chat_id: int) -> list[SandboxMessage]:
        return self.backend.messages(chat_id)

    def last_bot_message(self, chat_id: int) -> SandboxMessage | None:
        found = [m for m in self.backend.messages(chat_id) if m.from_bot and not m.deleted]
        return found[-1] if found else None

    async def wait_for_message(
        self,
        chat_id: int,
        after_message_id: int | None = None,
        predicate: MessagePredicate | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        from_bot: bool | None = True,
    ) -> SandboxMessage:
        return await self.backend.wait_for_message(
            chat_id, after_message_id, predicate, timeout, from_bot
        )

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        after_version: int | None = None,
        predicate: MessagePredicate | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> SandboxMessage:
        return await self.backend.wait_for_edit(
            chat_id, message_id, after_version, predicate, timeout
        )

    async def wait_for_callback_answer(
        self, callback_query_id: str, timeout: float = DEFAULT_TIMEOUT
    ) -> CallbackAnswer:
        return await self.backend.wait_for_callback_answer(callback_query_id, timeout)

    def stats(self) -> Stats:
        return self.backend.stats()

    async def set_limits(self, **changes: Any) -> None:
        await self.backend.set_limits(**changes)

    async def set_faults(self, **changes: Any) -> None:
        await self.backend.set_faults(**changes)

    async def reset(self) -> None:
        self._users.clear()
        await self.backend.reset()

    async def reset_stats(self) -> None:
        await self.backend.reset_stats()

    async def aclose(self) -> None:
        await self.backend.aclose()

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class HttpSandboxClient(SandboxClient):
    """The same client for a sandbox running in another process (or thread)."""

    def __init__(self, url: str) -> None:
        super().__init__(backend=HttpBackend(url))
