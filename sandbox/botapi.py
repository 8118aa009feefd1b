"""The Bot API methods, implemented against `SandboxWorld` with Telegram's checks and errors.

Each method validates exactly where Telegram would refuse (HTML, lengths, keyboards, unknown
chats), then passes the call through the referee (flood limits) and the fault injector
before it changes the world.  The HTTP layer only decodes parameters and encodes answers.
`BotApi` is the method table over the method groups (`sandbox.api_updates`,
`sandbox.api_messages`) and the shared checks (`sandbox.apicore`); files, commands and the
small methods are here.
"""

from __future__ import annotations

from typing import Any

from sandbox.api_messages import MessageMethods
from sandbox.api_updates import UpdateMethods
from sandbox.apicore import CHAT_ACTIONS, TRIVIAL_METHODS, Call, Handler
from sandbox.errors import bad_request
from sandbox.faults import FaultDecider
from sandbox.limits import RateReferee
from sandbox.params import Params
from sandbox.stats import Stats
from sandbox.webhook import WebhookPusher
from sandbox.world import SandboxWorld


class BotApi(UpdateMethods, MessageMethods):
    def __init__(
        self,
        world: SandboxWorld,
        referee: RateReferee,
        faults: FaultDecider,
        stats: Stats,
        webhook: WebhookPusher,
    ) -> None:
        super().__init__(world, referee, faults, stats, webhook)
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
            *((name, self.trivial) for name in TRIVIAL_METHODS),
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
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = action
        return True

    async def get_chat(self, call: Call) -> dict[str, Any]:
        chat = self._chat(call.params)
        return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11}

    async def trivial(self, call: Call) -> bool:
        return True
