"""A group becoming a supergroup, as Telegram does it.

Telegram gives the supergroup a new chat id (-100…) and keeps the old group as a husk:
every send or edit there answers 400 "group chat was upgraded to a supergroup chat" with
`parameters.migrate_to_chat_id` (`ApiCore._check_reachable`), and the bot receives two
service messages: `migrate_to_chat_id` in the old chat and `migrate_from_chat_id` in the
new one.  The old chat's messages stay where they were (the bot cannot edit them any more).
"""

from __future__ import annotations

from sandbox.errors import SandboxError
from sandbox.models import Chat, UserSpec
from sandbox.world import SandboxWorld


def migrate_group(
    world: SandboxWorld, old_chat_id: int, new_chat_id: int, by: UserSpec | None = None
) -> Chat:
    """Upgrades group `old_chat_id` to supergroup `new_chat_id`, done by `by` (an admin),
    and delivers the two service messages; returns the new chat."""
    old = world.chats.get(old_chat_id)
    if old is None or old.type != "group":
        raise SandboxError(f"{old_chat_id} is not a basic group that can be upgraded")
    if old.migrated_to is not None:
        raise SandboxError(f"{old_chat_id} was upgraded to {old.migrated_to} already")
    if new_chat_id in world.chats:
        raise SandboxError(f"chat {new_chat_id} exists already")
    new = world.group_chat(new_chat_id, old.title, "supergroup")
    new.bot_removed = old.bot_removed
    old.migrated_to = new_chat_id
    sender = by.to_api() if by is not None else world.bot_user()
    for chat, content in ((old, {"migrate_to_chat_id": new_chat_id}),
                          (new, {"migrate_from_chat_id": old_chat_id})):
        message = world.add_message(chat, sender=sender, from_bot=False, content=content)
        world.push_update("message", message.to_api())
    return new
