"""How a `SandboxClient` reaches the sandbox: directly in-process, or over HTTP.

Tests usually run the sandbox in their own event loop and call it directly; benchmarks and
manual sessions run it in another process.  Both backends offer the same operations so the
person-like client on top (`SandboxUser`) is written once.  Waits with a Python predicate
are evaluated on the caller's side over HTTP, by re-waiting past each non-matching message.
"""

# The wait helpers take `timeout=` on purpose (tests read better with it); each one turns it
# into a single deadline, which is what ASYNC109 worries about.
# ruff: noqa: ASYNC109

from __future__ import annotations

import base64
from typing import Any, Protocol

import httpx

from sandbox.errors import SandboxError, SandboxTimeout
from sandbox.migration import migrate_group
from sandbox.models import CallbackAnswer, SandboxMessage, UserSpec
from sandbox.server import SandboxServer
from sandbox.stats import Stats
from sandbox.world import MessagePredicate


class Backend(Protocol):
    async def send_text(
        self, user: UserSpec, text: str, chat_id: int | None, reply_to: int | None
    ) -> SandboxMessage: ...

    async def send_file(
        self,
        user: UserSpec,
        *,
        kind: str,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
        chat_id: int | None,
    ) -> SandboxMessage: ...

    async def send_location(
        self, user: UserSpec, latitude: float, longitude: float, chat_id: int | None
    ) -> SandboxMessage: ...

    async def press(
        self,
        user: UserSpec,
        chat_id: int,
        message_id: int,
        *,
        data: str | None,
        text: str | None,
        index: int | None,
    ) -> str: ...

    async def create_group(self, chat_id: int, title: str, type: str | None) -> None: ...

    async def migrate_group(self, old_chat_id: int, new_chat_id: int,
                            by: UserSpec | None) -> None: ...

    def messages(self, chat_id: int) -> list[SandboxMessage]: ...

    def message(self, chat_id: int, message_id: int) -> SandboxMessage: ...

    def last_message_id(self, chat_id: int) -> int: ...

    def callback_answer(self, callback_query_id: str) -> CallbackAnswer | None: ...

    def visible_commands(
        self, chat_id: int, user_id: int, language_code: str | None
    ) -> list[dict[str, str]]: ...

    def stats(self) -> Stats: ...

    async def wait_for_message(
        self,
        chat_id: int,
        after_message_id: int | None,
        predicate: MessagePredicate | None,
        timeout: float,
        from_bot: bool | None,
    ) -> SandboxMessage: ...

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        after_version: int | None,
        predicate: MessagePredicate | None,
        timeout: float,
    ) -> SandboxMessage: ...

    async def wait_for_change(
        self,
        chat_id: int,
        message_id: int,
        after_version: int,
        after_message_id: int,
        timeout: float,
    ) -> tuple[str, SandboxMessage]: ...

    async def wait_for_callback_answer(
        self, callback_query_id: str, timeout: float
    ) -> CallbackAnswer: ...

    async def set_limits(self, **changes: Any) -> None: ...

    async def set_faults(self, **changes: Any) -> None: ...

    async def reset(self) -> None: ...

    async def reset_stats(self) -> None: ...

    async def aclose(self) -> None: ...


class LocalBackend:
    """Calls a `SandboxServer` running in this event loop."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.world = server.world

    async def send_text(
        self, user: UserSpec, text: str, chat_id: int | None, reply_to: int | None
    ) -> SandboxMessage:
        return self.world.send_text(user, text, chat_id=chat_id, reply_to=reply_to)

    async def send_file(
        self,
        user: UserSpec,
        *,
        kind: str,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
        chat_id: int | None,
    ) -> SandboxMessage:
        return self.world.send_file(
            user,
            kind=kind,
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            chat_id=chat_id,
        )

    async def send_location(
        self, user: UserSpec, latitude: float, longitude: float, chat_id: int | None
    ) -> SandboxMessage:
        return self.world.send_location(user, latitude, longitude, chat_id=chat_id)

    async def press(
        self,
        user: UserSpec,
        chat_id: int,
        message_id: int,
        *,
        data: str | None,
        text: str | None,
        index: int | None,
    ) -> str:
        return self.world.press(user, chat_id, message_id, data=data, text=text, index=index)

    async def create_group(self, chat_id: int, title: str, type: str | None) -> None:
        self.world.group_chat(chat_id, title, type)

    async def migrate_group(self, old_chat_id: int, new_chat_id: int,
                            by: UserSpec | None) -> None:
        migrate_group(self.world, old_chat_id, new_chat_id, by)

    def messages(self, chat_id: int) -> list[SandboxMessage]:
        return self.world.messages(chat_id)

    def message(self, chat_id: int, message_id: int) -> SandboxMessage:
        return self.world.message(chat_id, message_id)

    def last_message_id(self, chat_id: int) -> int:
        return self.world.last_message_id(chat_id)

    def callback_answer(self, callback_query_id: str) -> CallbackAnswer | None:
        return self.world.answers.get(callback_query_id)

    def visible_commands(
        self, chat_id: int, user_id: int, language_code: str | None
    ) -> list[dict[str, str]]:
        return self.server.visible_commands(chat_id, user_id, language_code)

    def stats(self) -> Stats:
        return self.server.stats

    async def wait_for_message(
        self,
        chat_id: int,
        after_message_id: int | None,
        predicate: MessagePredicate | None,
        timeout: float,
        from_bot: bool | None,
    ) -> SandboxMessage:
        return await self.world.wait_for_message(
            chat_id, after_message_id, predicate, timeout, from_bot
        )

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        after_version: int | None,
        predicate: MessagePredicate | None,
        timeout: float,
    ) -> SandboxMessage:
        return await self.world.wait_for_edit(
            chat_id, message_id, after_version, predicate, timeout
        )

    async def wait_for_change(
        self,
        chat_id: int,
        message_id: int,
        after_version: int,
        after_message_id: int,
        timeout: float,
    ) -> tuple[str, SandboxMessage]:
        return await self.world.wait_for_change(
            chat_id, message_id, after_version, after_message_id, timeout
        )

    async def wait_for_callback_answer(
        self, callback_query_id: str, timeout: float
    ) -> CallbackAnswer:
        return await self.world.wait_for_callback_answer(callback_query_id, timeout)

    async def set_limits(self, **changes: Any) -> None:
        self.server.set_limits(**changes)

    async def set_faults(self, **changes: Any) -> None:
        self.server.set_faults(**changes)

    async def reset(self) -> None:
        self.server.reset()

    async def reset_stats(self) -> None:
        self.server.reset_stats()

    async def aclose(self) -> None:
        return None


class HttpBackend:
    """Talks to `/sandbox/...` of a sandbox in another process.

    Reads (`messages`, `stats`, ...) are synchronous so `SandboxUser.last_bot_message()` reads
    the same in both modes; they are short local requests that never wait on the bot.
    """

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._async = httpx.AsyncClient(base_url=self.url, timeout=30.0)
        self._sync = httpx.Client(base_url=self.url, timeout=30.0)

    def _unwrap(self, response: httpx.Response) -> Any:
        return self.result_of(response.status_code, response.json())

    @staticmethod
    def result_of(status: int, body: dict[str, Any]) -> Any:
        """The result of a `/sandbox/...` answer, or its error raised (408: timed out)."""
        if status == 408:
            raise SandboxTimeout(body.get("description", "timed out"))
        if not body.get("ok"):
            raise SandboxError(body.get("description", f"HTTP {status}"))
        return body["result"]

    async def _post(self, name: str, body: dict[str, Any], wait: float = 0.0) -> Any:
        response = await self._async.post(
            f"/sandbox/{name}", json=body, timeout=httpx.Timeout(30.0 + wait)
        )
        return self._unwrap(response)

    def _get(self, name: str, body: dict[str, Any] | None = None) -> Any:
        return self._unwrap(self._sync.post(f"/sandbox/{name}", json=body or {}))

    async def send_text(
        self, user: UserSpec, text: str, chat_id: int | None, reply_to: int | None
    ) -> SandboxMessage:
        body = {"user": user.to_json(), "text": text, "chat_id": chat_id, "reply_to": reply_to}
        return SandboxMessage.from_json(await self._post("send_message", body))

    async def send_file(
        self,
        user: UserSpec,
        *,
        kind: str,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
        chat_id: int | None,
    ) -> SandboxMessage:
        body = {
            "user": user.to_json(),
            "kind": kind,
            "content_base64": base64.b64encode(content).decode(),
            "file_name": file_name,
            "mime_type": mime_type,
            "caption": caption,
            "chat_id": chat_id,
        }
        return SandboxMessage.from_json(await self._post("send_file", body))

    async def send_location(
        self, user: UserSpec, latitude: float, longitude: float, chat_id: int | None
    ) -> SandboxMessage:
        body = {
            "user": user.to_json(),
            "latitude": latitude,
            "longitude": longitude,
            "chat_id": chat_id,
        }
        return SandboxMessage.from_json(await self._post("send_location", body))

    async def press(
        self,
        user: UserSpec,
        chat_id: int,
        message_id: int,
        *,
        data: str | None,
        text: str | None,
        index: int | None,
    ) -> str:
        body = {
            "user": user.to_json(),
            "chat_id": chat_id,
            "message_id": message_id,
            "data": data,
            "text": text,
            "index": index,
        }
        return str(await self._post("press", body))

    async def create_group(self, chat_id: int, title: str, type: str | None) -> None:
        await self._post("create_group", {"chat_id": chat_id, "title": title, "type": type})

    async def migrate_group(self, old_chat_id: int, new_chat_id: int,
                            by: UserSpec | None) -> None:
        body: dict[str, Any] = {"old_chat_id": old_chat_id, "new_chat_id": new_chat_id}
        if by is not None:
            body["user"] = by.to_json()
        await self._post("migrate_group", body)

    def messages(self, chat_id: int) -> list[SandboxMessage]:
        return [SandboxMessage.from_json(m) for m in self._get("messages", {"chat_id": chat_id})]

    def message(self, chat_id: int, message_id: int) -> SandboxMessage:
        body = {"chat_id": chat_id, "message_id": message_id}
        return SandboxMessage.from_json(self._get("message", body))

    def last_message_id(self, chat_id: int) -> int:
        return int(self._get("last_message_id", {"chat_id": chat_id}))

    def callback_answer(self, callback_query_id: str) -> CallbackAnswer | None:
        found = self._get("callback_answer", {"callback_query_id": callback_query_id})
        return None if found is None else CallbackAnswer.from_json(found)

    def visible_commands(
        self, chat_id: int, user_id: int, language_code: str | None
    ) -> list[dict[str, str]]:
        body = {"chat_id": chat_id, "user_id": user_id, "language_code": language_code}
        return list(self._get("commands", body))

    def stats(self) -> Stats:
        return Stats.from_json(self._get("stats"))

    async def wait_for_message(
        self,
        chat_id: int,
        after_message_id: int | None,
        predicate: MessagePredicate | None,
        timeout: float,
        from_bot: bool | None,
    ) -> SandboxMessage:
        after = self.last_message_id(chat_id) if after_message_id is None else after_message_id
        while True:
            body = {
                "chat_id": chat_id,
                "after_message_id": after,
                "timeout": timeout,
                "from_bot": from_bot,
            }
            found = SandboxMessage.from_json(await self._post("wait_for_message", body, timeout))
            if predicate is None or predicate(found):
                return found
            after = found.message_id

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        after_version: int | None,
        predicate: MessagePredicate | None,
        timeout: float,
    ) -> SandboxMessage:
        after = (
            self.message(chat_id, message_id).version if after_version is None else after_version
        )
        while True:
            body = {
                "chat_id": chat_id,
                "message_id": message_id,
                "after_version": after,
                "timeout": timeout,
            }
            found = SandboxMessage.from_json(await self._post("wait_for_edit", body, timeout))
            if predicate is None or predicate(found):
                return found
            after = found.version

    async def wait_for_change(
        self,
        chat_id: int,
        message_id: int,
        after_version: int,
        after_message_id: int,
        timeout: float,
    ) -> tuple[str, SandboxMessage]:
        body = {
            "chat_id": chat_id,
            "message_id": message_id,
            "after_version": after_version,
            "after_message_id": after_message_id,
            "timeout": timeout,
        }
        found = await self._post("wait_for_change", body, timeout)
        return str(found["kind"]), SandboxMessage.from_json(found["message"])

    async def wait_for_callback_answer(
        self, callback_query_id: str, timeout: float
    ) -> CallbackAnswer:
        body = {"callback_query_id": callback_query_id, "timeout": timeout}
        return CallbackAnswer.from_json(await self._post("wait_for_callback_answer", body, timeout))

    async def set_limits(self, **changes: Any) -> None:
        await self._post("limits", changes)

    async def set_faults(self, **changes: Any) -> None:
        await self._post("faults", {k: _jsonable(v) for k, v in changes.items()})

    async def reset(self) -> None:
        await self._post("reset", {})

    async def reset_stats(self) -> None:
        await self._post("reset_stats", {})

    async def aclose(self) -> None:
        await self._async.aclose()
        self._sync.close()


def _jsonable(value: Any) -> Any:
    return sorted(value) if isinstance(value, set | frozenset) else value
