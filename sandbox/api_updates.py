"""Who the bot is and how it gets updates: getMe, getUpdates (long polls), webhooks.

As Telegram: one long poll at a time (a second one ends the first with 409), none while a
webhook is set, and a negative offset keeps only the last updates.
"""

from __future__ import annotations

from typing import Any

from sandbox.apicore import LONG_POLL_MAX_SECONDS, ApiCore, Call
from sandbox.errors import ApiError
from sandbox.webhook import WebhookConfig, check_webhook


class UpdateMethods(ApiCore):
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


def _webhook_conflict() -> ApiError:
    return ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
