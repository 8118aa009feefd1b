"""Routes free text (and photos/files) to the multi-step flow the person is in.

Features declare a step handler per flow name (`Feature.flows`); the flow's state lives in
the database (`bot.services.flows`), so any replica, after any restart, continues it.
Text outside a flow gets a pointer to /help.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.context import GotongContext
from bot.services.people.members import Actor
from handlers.common import reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded


@guarded()
async def on_private_input(update: Update, context: GotongContext, actor: Actor) -> None:
    """Continues the person's flow, or tells them how to find the commands."""
    flow = await context.open_flow(update)  # read with the actor: one query per update
    step = context.state.tables.flows.get(flow.flow) if flow is not None else None
    if flow is not None and step is not None:
        await step(update, context, actor, flow)
        return
    await send(update, context, reader_for(context, actor).t("flow.no_flow_hint"))


# Free text is read in private chats only: in a group it is the members talking to each
# other.  What the bot does in groups is explicit and registered before this router
# (handlers.reach.groups: /linkteam@bot, my_chat_member, taps on its own posts; commands).
PRIVATE_INPUT = filters.ChatType.PRIVATE & (
    (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL | filters.LOCATION
)
FEATURE = Feature("flows", handlers=[MessageHandler(PRIVATE_INPUT, on_private_input)])
