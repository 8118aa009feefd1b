"""What a feature module declares: everything it adds to the bot, in one value.

Each handler module ends with one `FEATURE = Feature(...)`; `bot/app.py` lists the
features in order and builds the bot from them.  Nothing is registered by importing a
module: a feature that is not in the app's list adds nothing, and the dispatch table
test (`tests/test_dispatch_table.py`) prints the whole bot from these declarations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.config import Settings
from bot.context import AppState, GotongContext
from bot.services.flows import Flow
from bot.services.people.members import Actor

if TYPE_CHECKING:
    from bot.commands import CommandSpec
    from bot.delivery.audiences import AudienceKind
    from bot.delivery.renderers import Renderer
    from bot.services.people.profile import ProfileSection
    from handlers.buttons import ButtonAction

# One step of a guided flow: the person's answer to the step `flow.step` asked for.
FlowStep = Callable[[Update, GotongContext, Actor, Flow], Awaitable[None]]
# A `/start <payload>` link: called with the payload after its prefix.
DeepLinkHandler = Callable[[Update, GotongContext, str], Awaitable[None]]
JobCallback = Callable[[GotongContext], Awaitable[None]]
StartupAction = Callable[[AppState], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Every:
    """A job that runs every `seconds` (first after `first` seconds, default one interval)."""

    name: str
    run: JobCallback
    seconds: float
    first: float | None = None


@dataclass(frozen=True, slots=True)
class Daily:
    """A job at a local time of day from the settings, on some weekdays (0 = Monday)."""

    name: str
    run: JobCallback
    at: Callable[[Settings], time]
    days: Callable[[Settings], tuple[int, ...]] | None = None
    job_kwargs: Mapping[str, Any] = field(default_factory=dict)


Job = Every | Daily


@dataclass(frozen=True, slots=True)
class Feature:
    """One area's commands, buttons, flows, deep links, outbox renderers and jobs.

    `handlers` are PTB handlers tried in order (commands, messages, chat member updates);
    `buttons` are typed button actions (`handlers/buttons.py`).  `on_start` actions run
    once when the bot starts (catching up what the bot missed while it was down).
    """

    name: str
    handlers: Sequence[BaseHandler[Any, Any, Any]] = ()
    buttons: Sequence[ButtonAction[Any]] = ()
    commands: Sequence[CommandSpec] = ()
    flows: Mapping[str, FlowStep] = field(default_factory=dict)
    deep_links: Mapping[str, DeepLinkHandler] = field(default_factory=dict)
    renderers: Mapping[str, Renderer] = field(default_factory=dict)
    audiences: Sequence[AudienceKind] = ()
    profile_sections: Sequence[ProfileSection] = ()
    jobs: Sequence[Job] = ()
    on_start: Sequence[StartupAction] = ()
