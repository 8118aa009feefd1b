"""What a feature module declares: everything it adds to the bot, in one value.

Each handler module ends with one `FEATURE = Feature(...)`; `bot/app.py` lists the
features in order and builds the bot from them.  Nothing is registered by importing a
module: a feature that is not in the app's list adds nothing, and the dispatch table
test (`tests/test_dispatch_table.py`) prints the whole bot from these declarations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from telegram.ext import BaseHandler

from bot.commands import CommandSpec
from bot.config import Settings
from bot.context import AppState, DeepLinkHandler, FlowStep, GotongContext, ProfileSection
from bot.delivery.renderers import Renderer
from handlers.buttons import ButtonAction

__all__ = ["Daily", "DeepLinkHandler", "Every", "Feature", "FlowStep", "Job", "ProfileSection"]

JobCallback = Callable[[GotongContext], Awaitable[None]]
StartupAction = Callable[[AppState], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Every:
    """A job that runs every `interval` (seconds or a timedelta); the first run after `first`
    (default: one interval), so a restart loop does not run it on every start."""

    name: str
    run: JobCallback
    interval: float | timedelta
    first: float | timedelta | None = None
    job_kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Daily:
    """A job at a local time of day from the settings, on some weekdays (PTB's: 0 = Sunday)."""

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
    renderers: Mapping[str, Renderer] = field(default_factory=dict)  # outbox kind -> renderer
    profile_sections: Sequence[ProfileSection] = ()
    jobs: Sequence[Job] = ()
    on_start: Sequence[StartupAction] = ()
