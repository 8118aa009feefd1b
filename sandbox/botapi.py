"""The Bot API methods, implemented against `SandboxWorld` with Telegram's checks and errors.

Each method validates exactly where Telegram would refuse (HTML, lengths, keyboards, unknown
chats), then passes the call through the referee (flood limits) and the fault injector
before it changes the world.  The HTTP layer only decodes parameters and encodes answers.
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
from sandbox.markup import check_reply_markup, inline_keyboard
from sandbox.models import CallbackAnswer, Chat, StoredFile, StoredMessage
from sandbox.params import Params
from sandbox.stats import Delivery, Stats
from sandbox.webhook import WebhookConfig, WebhookPusher, check_webhook
from sandbox.world import SandboxWorld

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
PHOTO_LIMIT_BYTES = 10 * 1024 * 1024
DOCUMENT_LIMIT_BYTES = 50 * 1024 * 1024
LONG_POLL_MAX_SECONDS = 50
_CHAT_ACTIONS = frozenset(
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
_TRIVIAL_METHODS = (
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


class BotApi:
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
        self._methods: dict[str, tuple[str, Handler]] = {}
        for name, handler in (
            ("getMe", self.get_me),
            ("getUpdates", self.get_updates),
            ("setWebhook", self.set_webhook),
            ("deleteWebhook", self.delete_webhook),
            ("getWebhookInfo", self.get_webhook_info),
            ("sendMessage", self.send_message),
            ("sendDocument", self.send_document),
            ("sendPhoto", self.send_photo),
            ("editMessageText", self.edit_message_text),
            ("editMessageCaption", self.edit_message_caption),
            ("editMessageReplyMarkup", self.edit_message_reply_markup),
            ("deleteMessage", self.delete_message),
            ("answerCallbackQuery", self.answer_callback_query),
            ("getFile", self.get_file),
            ("setMyCommands", self.set_my_commands),
            ("getMyCommands", self.get_my_commands),
            ("deleteMyCommands", self.delete_my_commands),
            ("sendChatAction", self.send_chat_action),
            ("getChat", self.get_chat),
            *((name, self.trivial) for name in _TRIVIAL_METHODS),
        ):
            self._methods[name.lower()] = (name, handler)

    async def call(self, method: str, bot_id: int, params: Params) -> Any:
        """Run one Bot API method; raise `ApiError` with Telegram's answer when it refuses."""
        found = self._methods.get(method.lower())
        if found is None:
            self.stats.calls[method] += 1
            raise bad_request("method not found")
        name, handler = found
        self.stats.calls[name] += 1
        call = Call(name, bot_id, params)
        if self.faults.applies_to(name.lower()) and self.faults.faults.slow_seconds > 0:
            await self._pause(self.faults.faults.slow_seconds)
        return await handler(call)

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

    def _markup(self, params: Params) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(inline keyboard echoed on the message, other reply markup kept for the user)."""
        markup = check_reply_markup(params.json("reply_markup"))
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

    # ---- identity and updates -----------------------------------------------------------
    async def get_me(self, call: Call) -> dict[str, Any]:
        return {
            **self.world.bot_user(call.bot_id),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, call: Call) -> list[dict[str, Any]]:
        p = call.params
        if self.webhook.config is not None:
            raise _webhook_conflict()
        offset = p.integer("offset")
        limit = min(max(p.integer("limit") or 100, 1), 100)
        timeout = min(max(p.integer("timeout") or 0, 0), LONG_POLL_MAX_SECONDS)
        allowed = p.json("allowed_updates")
        if isinstance(allowed, list):
            self.world.allowed_updates = [str(kind) for kind in allowed] or None
        if offset is not None and offset < 0:
            self.world.keep_last_updates(-offset)
        elif offset:
            self.world.confirm_updates_before(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.world.updates_signal.fire()  # wakes an earlier long poll so it ends with 409

        def probe() -> str | None:
            if generation != self._poll_generation:
                return "conflict"
            if self.closing.is_set() or self.webhook.config is not None:
                return "stop"
            return "ready" if self.world.updates else None

        if timeout and probe() is None:
            self.long_polls_waiting += 1
            try:
                outcome = await self.world.updates_signal.wait_for(probe, timeout)
            finally:
                self.long_polls_waiting -= 1
        else:
            outcome = probe()
        if outcome == "conflict":
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        if self.webhook.config is not None:
            raise _webhook_conflict()
        return list(self.world.updates.values())[:limit]

    async def set_webhook(self, call: Call) -> bool:
        p = call.params
        url = p.text("url") or ""
        if not url:
            return await self.delete_webhook(call)
        secret = p.text("secret_token")
        max_connections = p.integer("max_connections")
        check_webhook(url, secret, max_connections)
        allowed = p.json("allowed_updates")
        if isinstance(allowed, list):
            self.world.allowed_updates = [str(kind) for kind in allowed] or None
        if p.flag("drop_pending_updates"):
            self.world.drop_pending_updates()
        self.webhook.set(
            WebhookConfig(
                url=url,
                secret_token=secret,
                max_connections=max_connections or 40,
                allowed_updates=self.world.allowed_updates,
            )
        )
        return True

    async def delete_webhook(self, call: Call) -> bool:
        if call.params.flag("drop_pending_updates"):
            self.world.drop_pending_updates()
        self.webhook.clear()
        return True

    async def get_webhook_info(self, call: Call) -> dict[str, Any]:
        config = self.webhook.config
        info: dict[str, Any] = {
            "url": config.url if config else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.updates),
        }
        if config is not None:
            info["max_connections"] = config.max_connections
            info["ip_address"] = config.ip_address
            if config.allowed_updates:
                info["allowed_updates"] = config.allowed_updates
            if self.webhook.last_error_date is not None:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
        return info

    # ---- sending ------------------------------------------------------------------------
    async def send_message(self, call: Call) -> dict[str, Any]:
        p = call.params
        chat = self._chat(p)
        self._check_reachable(chat)
        formatted = self._formatted(p, "text", caption=False)
        assert formatted is not None
        inline, reply_keyboard = self._markup(p)
        reply_to = self._reply_to(chat, p)
        content: dict[str, Any] = {"text": formatted.text}
        if formatted.entities:
            content["entities"] = formatted.entities
        if inline is not None:
            content["reply_markup"] = inline
        return await self._deliver(
            call,
            chat,
            content,
            html=formatted.html,
            reply_keyboard=reply_keyboard,
            reply_to=reply_to,
        )

    async def send_document(self, call: Call) -> dict[str, Any]:
        return await self._send_file(call, "document")

    async def send_photo(self, call: Call) -> dict[str, Any]:
        return await self._send_file(call, "photo")

    def _input_file(self, params: Params, field: str) -> StoredFile:
        upload = params.uploads.get(field)
        reference = params.text(field) if upload is None else None
        if reference is not None and reference.startswith("attach://"):
            upload = params.uploads.get(reference[len("attach://") :])
            reference = None
        if upload is None:
            if not reference:
                raise bad_request(f"there is no {field} in the request")
            stored = self.world.files.get(reference)
            if stored is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return stored
        if not upload.content:
            raise bad_request("file must be non-empty")
        limit = PHOTO_LIMIT_BYTES if field == "photo" else DOCUMENT_LIMIT_BYTES
        if len(upload.content) > limit:
            raise ApiError(413, "Request Entity Too Large")
        return self.world.files.add(
            upload.content, kind=field, file_name=upload.filename, mime_type=upload.content_type
        )

    async def _send_file(self, call: Call, field: str) -> dict[str, Any]:
        p = call.params
        chat = self._chat(p)
        self._check_reachable(chat)
        caption = self._formatted(p, "caption", caption=True)
        inline, reply_keyboard = self._markup(p)
        reply_to = self._reply_to(chat, p)
        stored = self._input_file(p, field)
        content: dict[str, Any] = (
            {"photo": stored.to_photo_sizes()}
            if field == "photo"
            else {"document": stored.to_document()}
        )
        if caption is not None and caption.text:
            content["caption"] = caption.text
            if caption.entities:
                content["caption_entities"] = caption.entities
        if inline is not None:
            content["reply_markup"] = inline
        return await self._deliver(
            call,
            chat,
            content,
            html=caption.html if caption else None,
            reply_keyboard=reply_keyboard,
            reply_to=reply_to,
        )

    # ---- editing ------------------------------------------------------------------------
    async def edit_message_text(self, call: Call) -> dict[str, Any]:
        p = call.params
        message = self._own_message(p, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if "text" not in message.content:
            raise bad_request("there is no text in the message to edit")
        formatted = self._formatted(p, "text", caption=False)
        assert formatted is not None
        inline, _ = self._markup(p)
        changes: dict[str, Any] = {"text": formatted.text}
        if formatted.entities:
            changes["entities"] = formatted.entities
        if inline is not None:
            changes["reply_markup"] = inline
        return await self._edit(
            call, message, changes, formatted.html, ("text", "entities", "reply_markup")
        )

    async def edit_message_caption(self, call: Call) -> dict[str, Any]:
        p = call.params
        message = self._own_message(p, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if "text" in message.content or "location" in message.content:
            raise bad_request("there is no caption in the message to edit")
        caption = self._formatted(p, "caption", caption=True)
        inline, _ = self._markup(p)
        changes: dict[str, Any] = {}
        if caption is not None and caption.text:
            changes["caption"] = caption.text
            if caption.entities:
                changes["caption_entities"] = caption.entities
        if inline is not None:
            changes["reply_markup"] = inline
        return await self._edit(
            call,
            message,
            changes,
            caption.html if caption else None,
            ("caption", "caption_entities", "reply_markup"),
        )

    async def edit_message_reply_markup(self, call: Call) -> dict[str, Any]:
        p = call.params
        message = self._own_message(p, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        inline, _ = self._markup(p)
        changes: dict[str, Any] = {} if inline is None else {"reply_markup": inline}
        return await self._edit(call, message, changes, message.sandbox_html, ("reply_markup",))

    async def _edit(
        self,
        call: Call,
        message: StoredMessage,
        changes: dict[str, Any],
        html: str | None,
        replaced: tuple[str, ...],
    ) -> dict[str, Any]:
        """Apply `changes` to the `replaced` fields unless that changes nothing (Telegram 400)."""
        before = {key: message.content.get(key) for key in replaced}
        after = {key: changes.get(key) for key in replaced}
        # Telegram's flood control counts edits like sends, in the chat's window and the
        # bot's global one; a flood wait earned by edits delays the chat's next reply too.
        chat = message.chat
        now = self._referee_check(call, chat, paid=False, edit=True)
        if before == after:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        fate = await self._fate(call)
        self.referee.record(chat.chat_id, now)
        self.world.edit_message(
            message, changes, sandbox_html=html, drop=tuple(k for k in replaced if k not in changes)
        )
        self.stats.edits.append(
            Delivery(chat.chat_id, message.message_id, now, call.method, False,
                     message.visible_text)
        )
        result = message.to_api()
        await self._after(fate)
        return result

    async def delete_message(self, call: Call) -> bool:
        message = self._own_message(call.params, "message to delete not found")
        fate = await self._fate(call)
        self.world.delete_message(message)
        await self._after(fate)
        return True

    async def answer_callback_query(self, call: Call) -> bool:
        p = call.params
        query_id = p.text("callback_query_id", required=True)
        assert query_id is not None
        if query_id not in self.world.pending_callbacks:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.text("text")
        if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        fate = await self._fate(call)
        self.world.record_answer(
            CallbackAnswer(
                callback_query_id=query_id,
                text=text,
                show_alert=p.flag("show_alert"),
                url=p.text("url"),
                cache_time=p.integer("cache_time") or 0,
            )
        )
        await self._after(fate)
        return True

    # ---- files, commands, misc ----------------------------------------------------------
    async def get_file(self, call: Call) -> dict[str, Any]:
        file_id = call.params.text("file_id", required=True)
        stored = self.world.files.get(file_id or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.to_api_file()

    async def set_my_commands(self, call: Call) -> bool:
        p = call.params
        self.commands.set(p.json("scope"), p.text("language_code"), p.json("commands"))
        return True

    async def get_my_commands(self, call: Call) -> list[dict[str, str]]:
        p = call.params
        return self.commands.get(p.json("scope"), p.text("language_code"))

    async def delete_my_commands(self, call: Call) -> bool:
        p = call.params
        self.commands.delete(p.json("scope"), p.text("language_code"))
        return True

    async def send_chat_action(self, call: Call) -> bool:
        p = call.params
        chat = self._chat(p)
        self._check_reachable(chat)
        action = p.text("action", required=True)
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = action
        return True

    async def get_chat(self, call: Call) -> dict[str, Any]:
        chat = self._chat(call.params)
        return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11}

    async def trivial(self, call: Call) -> bool:
        return True


def _webhook_conflict() -> ApiError:
    return ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
