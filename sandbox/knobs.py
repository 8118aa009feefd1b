"""Changing limits, faults and webhook timing at runtime, from Python or from JSON over HTTP.

A benchmark in another process flips the same knobs a test flips in-process; both go through
`update_*` so a partial change (only `error_5xx_rate`) leaves the other settings alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sandbox.errors import SandboxError
from sandbox.faults import Faults
from sandbox.limits import Limits
from sandbox.webhook import WebhookSettings

Knob = Limits | Faults | WebhookSettings


def knob_to_json(knob: Knob) -> dict[str, Any]:
    data = dataclasses.asdict(knob)
    for key, value in data.items():
        if isinstance(value, set | frozenset):
            data[key] = sorted(value)
    return data


def update_knob(knob: Knob, changes: dict[str, Any]) -> None:
    """Set the named fields on `knob`, coercing JSON lists back to the sets the fields hold."""
    fields = {f.name: f for f in dataclasses.fields(knob)}
    for key, value in changes.items():
        if key not in fields:
            raise SandboxError(f"{type(knob).__name__} has no setting {key!r}")
        current = getattr(knob, key)
        if isinstance(current, frozenset):
            value = frozenset(str(v).lower() for v in value)
        elif isinstance(current, set):
            value = {int(v) for v in value}
        elif isinstance(current, bool):
            value = (
                value.strip().lower() in ("true", "1", "yes")
                if isinstance(value, str)
                else bool(value)
            )
        elif isinstance(current, int):
            value = int(value)
        elif isinstance(current, float):
            value = float(value)
        setattr(knob, key, value)
