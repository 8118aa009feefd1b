"""Sending, editing and deleting messages, and answering callback queries.

Every send and edit goes through the referee (edits count like sends) and the fault dice
(`ApiCore._deliver`, `_edit`); an edit that changes nothing is Telegram's 400.
"""

from __future__ import annotations

from typing import Any

from sandbox.apicore import (
    CALLBACK_ANSWER_LIMIT,
    DOCUMENT_LIMIT_BYTES,
    PHOTO_LIMIT_BYTES,
    ApiCore,
    Call,
)
from sandbox.errors import ApiError, bad_request
from sandbox.models import CallbackAnswer, StoredFile, StoredMessage
from sandbox.params import Params
from sandbox.stats import Delivery


class MessageMethods(ApiCore):
    # ---- sending ------------------------------------------------------------------------
    async def send_message(self, call: Call) -> dict[str, Any]:
        p = call.params
        chat = self._chat(p)
        self._check_reachable(chat)
        formatted = self._formatted(p, "text", caption=False)
        assert formatted is not None
        inline, reply_keyboard = self._markup(p, chat.chat_id)
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
        inline, reply_keyboard = self._markup(p, chat.chat_id)
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
        inline, _ = self._markup(p, message.chat.chat_id)
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
        inline, _ = self._markup(p, message.chat.chat_id)
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
        inline, _ = self._markup(p, message.chat.chat_id)
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
