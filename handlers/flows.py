"""Routes free text (and photos/files) to the multi-step flow the person is in.

Features register a step handler per flow name; the flow's state lives in the
database (`bot.services.flows`), so any replica, after any restart, continues it.
Text outside a flow gets a pointer to /help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import GotongContext
from bot.services import flows
from bot.services.flows import Flow
from bot.services.people.members import Actor
from handlers.common import reader_for, send
from handlers.guard import guarded

FlowStep = Callable[[Update, GotongContext, Actor, Flow], Awaitable[None]]
FLOW_STEPS: dict[str, FlowStep] = {}


def register_flow(name: str, step: FlowStep) -> None:
    FLOW_STEPS[name] = step


@guarded()
async def on_private_input(update: Update, context: GotongContext, actor: Actor) -> None:
    """Continues the person's flow, or tells them how to find the commands."""
    flow = await flows.current_flow(context.db, actor.telegram_id, now=context.clock.now())
    if flow is not None and flow.flow in FLOW_STEPS:
        await FLOW_STEPS[flow.flow](update, context, actor, flow)
        return
    await send(update, context, reader_for(context, actor).t("flow.no_flow_hint"))


def handlers() -> list[BaseHandler]:
    # Free text is read in private chats only: in a group it is the members talking to each
    # other.  What the bot does in groups is explicit and registered before this router
    # (handlers.reach.groups: /linkteam@bot, my_chat_member, taps on its own posts; commands).
    private_input = filters.ChatType.PRIVATE & (
        (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL | filters.LOCATION
    )
    return [MessageHandler(private_input, on_private_input)]
