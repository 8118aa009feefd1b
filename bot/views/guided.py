"""The buttons every guided flow shares: pick a choice, skip a step, save, stop.

Each carries the flow's name (and the step's), so a button left over from an earlier
run of the flow, or from another flow, is refused instead of answering the wrong
question; `handlers/guided.py` answers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.views.callbacks import CallbackData, callback
from bot.views.render import Button, Reader, truncate

CHOICE_LABEL_LIMIT = 40


@callback("gfc")
@dataclass(frozen=True, slots=True)
class FlowChoice(CallbackData):
    """One of the step's choices (a budget line for the expense's category)."""

    flow: str
    step: str
    value: str


@callback("gfk")
@dataclass(frozen=True, slots=True)
class FlowSkip(CallbackData):
    """Go on without answering this (optional) step."""

    flow: str
    step: str


@callback("gfs")
@dataclass(frozen=True, slots=True)
class FlowSave(CallbackData):
    """The answers are right: do the flow's final write."""

    flow: str


@callback("gfx")
@dataclass(frozen=True, slots=True)
class FlowCancel(CallbackData):
    """Stop the flow; nothing is saved."""

    flow: str


def choice_rows(
    flow: str, step: str, choices: Sequence[tuple[str, str]], per_row: int = 2
) -> list[list[Button]]:
    """(value, label) pairs as buttons, `per_row` to a row."""
    buttons = [
        Button(truncate(label, CHOICE_LABEL_LIMIT), FlowChoice(flow, step, value).pack())
        for value, label in choices
    ]
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def skip_row(reader: Reader, flow: str, step: str, label_key: str) -> list[Button]:
    return [Button(reader.t(label_key), FlowSkip(flow, step).pack())]


def confirm_rows(
    reader: Reader, flow: str, *, save_key: str, cancel_key: str
) -> list[list[Button]]:
    return [
        [
            Button(reader.t(save_key), FlowSave(flow).pack()),
            Button(reader.t(cancel_key), FlowCancel(flow).pack()),
        ]
    ]
