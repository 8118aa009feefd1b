"""The whole bot on one page: every command, button, flow, deep link, job, outbox kind and
broadcast audience, from the features' declarations (`bot/features.py`).

    python -m pytest tests/test_dispatch_table.py -s     # prints the table

The test also holds the table to its rules: names are unique, every command has its
descriptions, every button kind fits Telegram's 64 bytes, and no module registers
anything on import (the table is the same however often the features are read).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.delivery.kinds import ALL_KINDS
from bot.features import bot_features, jobs_of, tables_of
from bot.services.broadcasts.catalog import AUDIENCES
from bot.views.callbacks import CALLBACK_DATA_LIMIT, CallbackData
from bot.views.i18n import load_catalogs
from handlers.feature import Daily, Every, Feature


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _name(func: Any) -> str:
    return f"{func.__module__}.{getattr(func, '__qualname__', func)}"


def _handler_line(handler: Any) -> str:
    kind = type(handler).__name__
    commands = getattr(handler, "commands", None)
    pattern = getattr(handler, "pattern", None)
    what = (
        " ".join(f"/{c}" for c in sorted(commands)) if commands
        else pattern.pattern if isinstance(pattern, re.Pattern)
        else ""
    )
    return f"{kind:<20} {what:<28} {_name(handler.callback)}"


def dispatch_table(features: list[Feature]) -> Iterator[str]:
    tables = tables_of(features)
    yield "== updates, in the order they are tried"
    for feature in features:
        yield f"[{feature.name}]"
        for handler in feature.handlers:
            yield "  " + _handler_line(handler)
        for action in feature.buttons:
            permission = action.permission.value if action.permission else "anyone"
            yield f"  {'button':<20} {action.kind.tag() + ':…':<28} {_name(action.action)}" \
                  f" ({permission})"
    yield "== commands (/help and the menus)"
    for spec in tables.commands:
        permission = spec.permission.value if spec.permission else "anyone"
        yield f"  /{spec.name:<14} {spec.help_group:<11} {permission}" + (
            "" if spec.menu else " (not in the menu)")
    yield "== guided flows"
    yield from (f"  {name:<20} {_name(step)}" for name, step in sorted(tables.flows.items()))
    yield "== deep links (/start <prefix>…)"
    yield from (f"  {p:<20} {_name(h)}" for p, h in sorted(tables.deep_links.items()))
    yield "== /me sections"
    yield from (f"  {_name(s.load)} -> {_name(s.render)}" for s in tables.profile_sections)
    yield "== jobs"
    for job in jobs_of(features):
        when = (f"every {job.interval}" if isinstance(job, Every)
                else f"daily at {job.at.__qualname__}" if isinstance(job, Daily) else "?")
        yield f"  {job.name:<24} {when:<28} {_name(job.run)}"
    yield "== outbox kinds and their renderers"
    yield from (f"  {kind:<28} {_name(r)}" for kind, r in sorted(tables.renderers.items()))
    yield "== broadcast audiences (bot/services/broadcasts/catalog.py)"
    yield from (f"  {a.kind:<20} {_name(a.query)}" for a in AUDIENCES.values())


def test_the_dispatch_table_prints_and_holds_its_rules() -> None:
    features = bot_features()
    lines = list(dispatch_table(features))
    print("\n".join(lines))
    assert lines == list(dispatch_table(bot_features())), "reading the features changed them"
    names = [f.name for f in features]
    assert len(names) == len(set(names))
    catalogs = load_catalogs()
    tables = tables_of(features)
    for spec in tables.commands:
        for lang in ("en", "id"):
            assert spec.description_key in catalogs[lang], (spec.name, lang)
    tags = [a.kind.tag() for f in features for a in f.buttons]
    assert len(tags) == len(set(tags)), "one action per button kind"
    # Every button kind the views can draw has an action (else pressing it is "stale").
    # (by name: `dataclass(slots=True)` leaves the class it replaced among the subclasses)
    drawn = {f"{k.__module__}.{k.__qualname__}" for k in _subclasses(CallbackData)}
    bound = {f"{a.kind.__module__}.{a.kind.__qualname__}" for f in features for a in f.buttons}
    assert drawn <= bound, f"button kinds without an action: {sorted(drawn - bound)}"
    prefixes = [a.kind.prefix for f in features for a in f.buttons]
    assert len(prefixes) == len(set(prefixes)), "one prefix per kind (versions replace)"
    for feature in features:
        for action in feature.buttons:
            widest = action.kind.tag() + ":" + ":".join("9" * 18 for _ in action.kind._fields)
            if all(hint in (int, int | None) for _, hint in action.kind._fields):
                assert len(widest.encode()) <= CALLBACK_DATA_LIMIT, action.kind
    jobs_of(features)  # raises when two jobs share a name
    # Every outbox kind of the vocabulary is written by exactly one feature's renderer.
    assert {k.name for k in ALL_KINDS} <= set(tables.renderers), sorted(
        {k.name for k in ALL_KINDS} - set(tables.renderers))
