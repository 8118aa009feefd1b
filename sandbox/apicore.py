"""The Bot API's shared machinery: the world, the referee, the fault dice, and Telegram's checks.

`ApiCore` holds what every Bot API method needs (the chats, the flood referee, the fault
injector, the record) and the checks Telegram makes on the way in (chat, reachability,
formatting, reply target, keyboards) and out (flood limits, faults, the delivery record).
The methods themselves are `sandbox.api_updates` (getUpdates, webhooks),
`sandbox.api_messages` (send, edit, delete, callback answers) and `sandbox.botapi`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sandbox.commands import CommandRegistry
from sandbox.errors import ApiError, bad_request, forbidden
from sandbox.faults import Fate, FaultDecider
from sandbox.html import parse_html
from sandbox.limits import RateReferee
from sandbox.markup import check_reply_markup, has_web_app, inline_keyboard
from sandbox.models import Chat, StoredMessage
from sandbox.params import Params
from sandbox.stats import Delivery, Stats
from sandbox.webhook import WebhookPusher
from sandbox.world import SandboxWorld

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
PHOTO_LIMIT_BYTES = 10 * 1024 * 1024
DOCUMENT_LIMIT_BYTES = 50 * 1024 * 1024
LONG_POLL_MAX_SECONDS = 50
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
TRIVIAL_METHODS = (
    "logOut",
    "close",
    "setMyName",
    "setMyDescription",
    "setMyShortDescription",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
)


@dataclass(frozen=True)
class Call:
    method: str  # canonical spelling, e.g. "sendMessage"
    bot_id: int
    params: Params


@dataclass(frozen=True)
class Formatted:
    text: str
    entities: list[dict[str, Any]]
    html: str | None


Handler = Callable[[Call], Awaitable[Any]]


class ApiCore:
    def __init__(
        self,
        world: SandboxWorld,
        referee: RateReferee,
        faults: FaultDecider,
        stats: Stats,
        webhook: WebhookPusher,
    ) -> None:
        self.world = world
        self.referee = referee
        self.faults = faults
        self.stats = stats
        self.webhook = webhook
        self.commands = CommandRegistry()
        self.closing = asyncio.Event()
        self._poll_generation = 0
        self.long_polls_waiting = 0  # lets tests see that a poll is parked, without sleeping

    # ---- shared checks ------------------------------------------------------------------
    async def _pause(self, seconds: float) -> None:
        """Sleep, but end early when the server stops so shutdown never waits on a fault."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.closing.wait()

    def _chat(self, params: Params) -> Chat:
        chat_id = params.chat_id()
        chat = self.world.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_reachable(self, chat: Chat) -> None:
        if chat.is_group:
            if chat.migrated_to is not None:
                raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                               migrate_to_chat_id=chat.migrated_to)
            if chat.bot_removed:
                raise forbidden("bot was kicked from the group chat")
            return
        faults = self.faults.faults
        if chat.chat_id in faults.deactivated_user_ids:
            raise forbidden("user is deactivated")
        if chat.chat_id in faults.blocked_user_ids:
            raise forbidden("bot was blocked by the user")

    def _formatted(self, params: Params, field: str, *, caption: bool) -> Formatted | None:
        raw = params.text(field)
        if raw is None:
            if not caption:
                raise bad_request("message text is empty")
            return None
        mode_field = "parse_mode"
        entities_field = "caption_entities" if caption else "entities"
        mode = params.text(mode_field)
        if mode and mode.lower() == "html":
            parsed = parse_html(raw)
            result = Formatted(parsed.text, parsed.entities, raw)
        elif mode and mode.lower() in ("markdown", "markdownv2"):
            result = Formatted(raw, [], None)  # not parsed by the sandbox: stored as sent
        elif mode:
            raise bad_request("unsupported parse_mode")
        else:
            entities = params.json(entities_field) or []
            if not isinstance(entities, list):
                raise bad_request(f"can't parse {entities_field} JSON object")
            result = Formatted(raw, entities, None)
        if caption:
            if len(result.text) > CAPTION_LIMIT:
                raise bad_request("message caption is too long")
        else:
            if not result.text.strip():
                raise bad_request("message text is empty")
            if len(result.text) > TEXT_LIMIT:
                raise bad_request("message is too long")
        return result

    def _reply_to(self, chat: Chat, params: Params) -> StoredMessage | None:
        reply = params.json("reply_parameters")
        message_id = params.integer("reply_to_message_id")
        allow_missing = params.flag("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = int(reply.get("message_id", 0))
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        if message_id is None:
            return None
        found = self.world.find_message(chat.chat_id, message_id)
        if found is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return found

    def _markup(
        self, params: Params, chat_id: int | None = None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(inline keyboard echoed on the message, other reply markup kept for the user);
        a `web_app` button outside a private chat is refused, as Telegram does."""
        markup = check_reply_markup(params.json("reply_markup"))
        chat = self.world.chats.get(chat_id) if chat_id is not None else None
        if chat is not None and chat.type != "private" and has_web_app(markup):
            raise bad_request("BUTTON_TYPE_INVALID")
        inline = inline_keyboard(markup)
        return inline, (markup if markup is not None and inline is None else None)

    async def _fate(self, call: Call) -> Fate:
        """Roll the fault dice; answer 502, or hang and answer 504, for the undelivered fates."""
        if not self.faults.applies_to(call.method.lower()):
            return Fate.OK
        fate = self.faults.fate()
        if fate is Fate.ERROR_5XX:
            self.stats.answered_5xx += 1
            raise ApiError(502, "Bad Gateway")
        if fate is Fate.TIMEOUT_LOST:
            self.stats.timeouts += 1
            await self._pause(self.faults.faults.timeout_seconds)
            raise ApiError(504, "Gateway Timeout")
        return fate

    async def _after(self, fate: Fate) -> None:
        if fate is Fate.TIMEOUT_DELIVERED:
            self.stats.timeouts += 1
            await self._pause(self.faults.faults.timeout_seconds)

    async def _deliver(
        self,
        call: Call,
        chat: Chat,
        content: dict[str, Any],
        *,
        html: str | None,
        reply_keyboard: dict[str, Any] | None,
        reply_to: StoredMessage | None,
    ) -> dict[str, Any]:
        paid = call.params.flag("allow_paid_broadcast")
        now = self._referee_check(call, chat, paid=paid)
        # `_fate` only awaits on the way to raising, so the check above and the record below
        # are atomic on the event loop: concurrent sends cannot both take the last slot.
        fate = await self._fate(call)
        self.referee.record(chat.chat_id, now)
        message = self.world.add_message(
            chat,
            sender=self.world.bot_user(call.bot_id),
            from_bot=True,
            content=content,
            sandbox_html=html,
            reply_keyboard=reply_keyboard,
            reply_to=reply_to,
        )
        self.stats.deliveries.append(
            Delivery(chat.chat_id, message.message_id, now, call.method, paid, message.visible_text)
        )
        result = message.to_api()
        await self._after(fate)
        return result

    def _referee_check(
        self, call: Call, chat: Chat, *, paid: bool, edit: bool = False
    ) -> float:
        """The flood limits, for sends and edits alike; returns the instant to record."""
        now = time.monotonic()
        retry_after = self.referee.forced(call.method)
        if retry_after is None:
            retry_after = self.referee.retry_after(chat.chat_id, chat.is_group, paid, now)
        if retry_after is not None:
            self.stats.answered_429 += 1
            if edit:
                self.stats.edits_429 += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        return now

    def _own_message(self, params: Params, missing: str) -> StoredMessage:
        if params.has("inline_message_id"):
            raise bad_request("inline messages are not supported by the sandbox")
        chat = self._chat(params)
        # As Telegram: a group that removed the bot refuses its edits and deletes too (403).
        if chat.is_group:
            self._check_reachable(chat)
        message_id = params.integer("message_id", required=True)
        assert message_id is not None
        message = self.world.find_message(chat.chat_id, message_id)
        if message is None:
            raise bad_request(missing)
        return message
