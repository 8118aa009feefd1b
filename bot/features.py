"""The bot, feature by feature: the one list of what it does, in the order updates try it.

The first handler that matches an update wins, so order matters: commands and buttons
first, then the free-text flow router, and the catch-alls for unknown commands and
buttons last.  Everything else a feature declares (commands for /help and the menus,
guided flows, deep links, /me sections, periodic jobs) is merged from this list into the
app's `FeatureTables`; no module registers anything by being imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.commands import CommandTable
from bot.config import Settings
from bot.context import FeatureTables
from bot.delivery.renderers import Renderer
from handlers import broadcast, budget, errors, flows, help, stale
from handlers.events import attendance, plan
from handlers.feature import Daily, Every, Feature, Job
from handlers.people import admin, skills, start, timezone
from handlers.progress import feedback, summary
from handlers.reach import autopilot, group_news, groups, imports
from handlers.shifts import checkin, create, lists, tasks

FEATURES: tuple[Feature, ...] = (
    start.FEATURE,
    help.FEATURE,
    timezone.FEATURE,
    admin.FEATURE,
    budget.FEATURE,
    broadcast.FEATURE,
    lists.FEATURE,
    create.FEATURE,
    checkin.FEATURE,
    tasks.FEATURE,
    skills.FEATURE,
    plan.FEATURE,
    attendance.FEATURE,
    feedback.FEATURE,  # before progress: it takes /report pdf and /summary A vs B
    summary.FEATURE,
    groups.FEATURE,  # group chats: before the private-only flow router
    group_news.FEATURE,  # their digest, "places left" posts, a group become a supergroup
    imports.FEATURE,
    autopilot.FEATURE,
)
# Always last: free text goes to flows, then anything left that looks like a command, then
# any button nothing took ("this button is no longer valid": every query is answered).
CATCH_ALL: tuple[Feature, ...] = (flows.FEATURE, errors.FEATURE, stale.FEATURE)


def bot_features(extra: Iterable[Feature] = ()) -> list[Feature]:
    """Every feature of the bot in priority order (`extra`: the web app's /app, tests')."""
    return [*FEATURES, *extra, *CATCH_ALL]


def tables_of(features: Sequence[Feature]) -> FeatureTables:
    """Merges the declarations.  A command declared twice keeps the first; a flow, deep link
    or outbox kind declared twice is an error (the second would never run)."""
    flows_: dict[str, Any] = {}
    links: dict[str, Any] = {}
    renderers: dict[str, Any] = {}
    for feature in features:
        for table, found, what in ((flows_, feature.flows, "flow"),
                                   (links, feature.deep_links, "deep link"),
                                   (renderers, feature.renderers, "outbox kind")):
            for name, step in found.items():
                if name in table:
                    raise ValueError(f"{what} {name!r} declared twice ({feature.name})")
                table[name] = step
    return FeatureTables(
        commands=CommandTable.of(spec for f in features for spec in f.commands),
        flows=flows_,
        deep_links=links,
        profile_sections=tuple(s for f in features for s in f.profile_sections),
        renderers=renderers,
    )


def handlers_of(features: Sequence[Feature]) -> list[Any]:
    """PTB handlers in priority order: each feature's handlers, then its buttons."""
    return [
        handler
        for feature in features
        for handler in (*feature.handlers, *(action.handler() for action in feature.buttons))
    ]


def jobs_of(features: Sequence[Feature]) -> list[Job]:
    jobs = [job for feature in features for job in feature.jobs]
    names = [job.name for job in jobs]
    if len(names) != len(set(names)):
        raise ValueError(f"two jobs share a name: {sorted(names)}")
    return jobs


def schedule(job_queue: Any, jobs: Iterable[Job], settings: Settings) -> None:
    """Puts the features' periodic jobs on PTB's JobQueue under their fixed names (a job of
    the same name from an earlier start is replaced, never doubled)."""
    for job in jobs:
        for old in job_queue.get_jobs_by_name(job.name):
            old.schedule_removal()
        kwargs = dict(job.job_kwargs)
        if isinstance(job, Every):
            first = job.interval if job.first is None else job.first
            job_queue.run_repeating(job.run, interval=job.interval, first=first, name=job.name,
                                    job_kwargs=kwargs or None)
        elif isinstance(job, Daily):
            days = job.days(settings) if job.days is not None else tuple(range(7))
            job_queue.run_daily(job.run, job.at(settings), days=days, name=job.name,
                                job_kwargs=kwargs or None)


def outbox_renderers() -> Mapping[str, Renderer]:
    """Every outbox kind's renderer (tests and benchmarks render rows with it)."""
    return tables_of(bot_features()).renderers


def command_table(extra: Iterable[Feature] = ()) -> CommandTable:
    """Every command of the bot (what /help and the menus draw from)."""
    return tables_of(bot_features(extra)).commands
