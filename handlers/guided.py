"""Guided flows: multi-step input declared in one place, that cannot lose answers.

    EXPENSE = GuidedFlow(
        "budget_expense",
        steps=(
            Step("amount", "budget.expense.ask_amount", read_amount),
            Step("category", "budget.expense.ask_category", read_line, choices=line_choices),
            Step("receipt", "budget.expense.ask_receipt", read_receipt,
                 skip="budget.btn.skip_receipt"),
        ),
        confirm=Confirm(review_text, save="budget.btn.save", cancel="budget.btn.cancel"),
        finish=save_expense,
    )

    await EXPENSE.start(update, context, actor)          # from the command
    Feature(..., flows={EXPENSE.name: EXPENSE})          # a GuidedFlow is its own FlowStep

Each step names its question (a catalog key) and its validator: an async function of
the turn and the answer that returns the fields to keep, or raises the same
`InvalidInput` the service raises for that value (so a value the service would refuse
is refused at its own step).  Answers are kept in the flow's row (`bot.services.flows`)
only once valid: a bad answer is explained, the same question asked again, and every
earlier answer stays.  Choices, "skip", "save" and "stop" are the shared typed buttons
of `bot/views/guided.py`, answered here.

`finish` does the final write and ends the flow in the same transaction: it hands the
use case `turn.key` (a `FlowKey`) and the service deletes the flow's row with
`close_flow` inside its `sessionmaker.begin()`.  A second tap on "Save" finds no flow
and is told it is already done (`FlowGone`); it never writes twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram import Message, Update

from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services import flows
from bot.services.flows import Flow, FlowGone, FlowKey
from bot.services.people.members import Actor
from bot.views.guided import (
    FlowCancel,
    FlowChoice,
    FlowSave,
    FlowSkip,
    choice_rows,
    confirm_rows,
    skip_row,
)
from bot.views.render import Button, Reader
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.guard import StaleButton

CONFIRM = "confirm"  # the step name of the review before saving


@dataclass(frozen=True, slots=True)
class Answer:
    """What the person gave at a step: typed text (and the message, for photos, files and
    locations), the value of a choice button, or a tap on "skip"."""

    text: str = ""
    message: Message | None = None
    choice: str | None = None
    skipped: bool = False


@dataclass(slots=True)
class Turn:
    """One answer being handled: who, where, and the answers so far (`data`)."""

    flow: GuidedFlow
    update: Update
    context: GotongContext
    actor: Actor
    data: dict[str, Any]
    edit: bool = True  # from a button: the question replaces the pressed message
    reader: Reader = field(init=False)
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.reader = reader_for(self.context, self.actor)
        self.now = self.context.clock.now()

    @property
    def key(self) -> FlowKey:
        """What the finishing use case ends in its own transaction."""
        return FlowKey(self.actor.telegram_id, self.flow.name)


Validator = Callable[[Turn, Answer], Awaitable[Mapping[str, Any]]]
Choices = Callable[[Turn], Awaitable[Sequence[tuple[str, str]]]]  # (value, label) pairs


@dataclass(frozen=True, slots=True)
class Step:
    """One question: its catalog key, its validator and how it may be answered.

    `params` fills the question's placeholders; `choices` puts buttons under it (their
    value reaches the validator as `answer.choice`); `skip` (a label key) adds a "skip"
    button (the validator sees `answer.skipped`); `needed` asks the step only when the
    answers so far call for it (no coordinates yet, say).
    """

    name: str
    prompt: str
    read: Validator
    params: Callable[[Turn], Mapping[str, Any]] | None = None
    choices: Choices | None = None
    skip: str | None = None
    needed: Callable[[Mapping[str, Any]], bool] | None = None


@dataclass(frozen=True, slots=True)
class Confirm:
    """The review shown after the last step, with Save / Stop buttons (label keys)."""

    text: Callable[[Turn], str]
    save: str
    cancel: str


@dataclass(frozen=True, slots=True)
class GuidedFlow:
    """A whole guided flow: its steps in order, the optional review, the final write."""

    name: str
    steps: tuple[Step, ...]
    finish: Callable[[Turn], Awaitable[None]]
    confirm: Confirm | None = None

    def __repr__(self) -> str:
        """One line for the dispatch table: the steps in order and the final write."""
        steps = [s.name for s in self.steps] + ([CONFIRM] if self.confirm else [])
        finish = f"{self.finish.__module__}.{self.finish.__qualname__}"
        return f"GuidedFlow({' → '.join(steps)} → {finish})"

    def __post_init__(self) -> None:
        names = [s.name for s in self.steps]
        if not names or len(set(names)) != len(names) or CONFIRM in names:
            raise ValueError(f"flow {self.name!r}: step names must be distinct, not {CONFIRM!r}")

    # ---- entry points ------------------------------------------------------------------
    async def start(
        self,
        update: Update,
        context: GotongContext,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        *,
        edit: bool = True,
    ) -> None:
        """Begins the flow (a running one of this person is replaced) and asks step one.

        From a button, the first question replaces the pressed message unless `edit` is
        False (a reviewer's claim card stays, the question comes below it)."""
        turn = Turn(self, update, context, actor, dict(data or {}), edit=edit)
        await self._advance(turn, after=None)

    async def __call__(
        self, update: Update, context: GotongContext, actor: Actor, flow: Flow
    ) -> None:
        """The person's message while in the flow: the answer to the step it is at."""
        message = update.effective_message
        answer = Answer((message.text or "").strip() if message else "", message)
        await self._answer(Turn(self, update, context, actor, dict(flow.data)), flow.step, answer)

    # ---- the steps ---------------------------------------------------------------------
    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    async def _answer(self, turn: Turn, at: str, answer: Answer) -> None:
        if at == CONFIRM:  # typed text instead of a tap: show the review again
            await self._ask(turn, CONFIRM)
            return
        step = self.step(at)
        if step is None:  # a step this version of the flow no longer has
            raise StaleButton()
        try:
            fields = await step.read(turn, answer)
        except InvalidInput as refused:
            # Nothing is written: the earlier answers stay and the same question comes again.
            problem = turn.reader.t(refused.key, **refused.params)
            await self._ask(turn, at, problem=problem)
            return
        turn.data.update(fields)
        await self._advance(turn, after=at)

    async def _advance(self, turn: Turn, *, after: str | None) -> None:
        names = [s.name for s in self.steps]
        rest = self.steps[names.index(after) + 1 :] if after is not None else self.steps
        nxt = next((s.name for s in rest if s.needed is None or s.needed(turn.data)), None)
        if nxt is None and self.confirm is None:
            try:
                await self.finish(turn)
            except InvalidInput as refused:
                if after is None:
                    raise
                # The write refused the last answer: nothing was saved, the flow (still at
                # that step, with every earlier answer) asks it again.
                await self._ask(turn, after, problem=turn.reader.t(refused.key, **refused.params))
            return
        at = nxt or CONFIRM
        await flows.start_flow(
            turn.context.db, turn.actor.telegram_id, self.name, at, turn.data, now=turn.now
        )
        await self._ask(turn, at)

    async def _ask(self, turn: Turn, at: str, *, problem: str | None = None) -> None:
        keyboard: list[list[Button]] = []
        if at == CONFIRM:
            assert self.confirm is not None
            text = self.confirm.text(turn)
            keyboard = confirm_rows(
                turn.reader, self.name, save_key=self.confirm.save, cancel_key=self.confirm.cancel
            )
        else:
            step = self.step(at)
            assert step is not None
            text = turn.reader.t(step.prompt, **(step.params(turn) if step.params else {}))
            if step.choices is not None:
                keyboard += choice_rows(self.name, at, await step.choices(turn))
            if step.skip is not None:
                keyboard.append(skip_row(turn.reader, self.name, at, step.skip))
        if problem is not None and problem != text:  # "please answer" is the question itself
            text = f"{problem}\n\n{text}"
        if turn.edit:
            await edit_or_send(turn.update, turn.context, text, keyboard or None)
        else:
            await send(turn.update, turn.context, text, keyboard or None)

    # ---- the shared buttons ------------------------------------------------------------
    async def tapped(
        self, update: Update, context: GotongContext, actor: Actor, flow: Flow, answer: Answer
    ) -> None:
        """A choice or "skip" for the step the flow is at."""
        query = update.callback_query
        if query is not None:
            await query.answer()
        await self._answer(Turn(self, update, context, actor, dict(flow.data)), flow.step, answer)

    async def save(self, update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
        if flow.step != CONFIRM:
            raise StaleButton()
        await self.finish(Turn(self, update, context, actor, dict(flow.data)))


# ---- the shared buttons' actions --------------------------------------------------------
def _declared(context: GotongContext, name: str) -> GuidedFlow | None:
    """The guided flow named `name` among the flows the features declared."""
    found = context.state.tables.flows.get(name)
    return found if isinstance(found, GuidedFlow) else None


async def _open(
    update: Update, context: GotongContext, name: str, step: str | None = None
) -> tuple[GuidedFlow, Flow] | None:
    """The person's running flow, if it is the one the button belongs to (at its step);
    read with the actor, in the update's one query."""
    guided = _declared(context, name)
    flow = await context.open_flow(update)
    if guided is None or flow is None or flow.flow != name:
        return None
    if step is not None and flow.step != step:
        return None
    return guided, flow


@pressed(FlowChoice)
async def cb_flow_choice(
    update: Update, context: GotongContext, actor: Actor, data: FlowChoice
) -> None:
    """A choice under a question: the answer to that step."""
    found = await _open(update, context, data.flow, data.step)
    if found is None:
        raise StaleButton()
    guided, flow = found
    await guided.tapped(update, context, actor, flow, Answer(choice=data.value))


@pressed(FlowSkip)
async def cb_flow_skip(
    update: Update, context: GotongContext, actor: Actor, data: FlowSkip
) -> None:
    """"Skip": the step is left unanswered and the flow goes on."""
    found = await _open(update, context, data.flow, data.step)
    if found is None:
        raise StaleButton()
    guided, flow = found
    await guided.tapped(update, context, actor, flow, Answer(skipped=True))


@pressed(FlowSave)
async def cb_flow_save(
    update: Update, context: GotongContext, actor: Actor, data: FlowSave
) -> None:
    """"Save": the final write; a second tap finds the flow over and is told so."""
    found = await _open(update, context, data.flow)
    if found is None:
        raise FlowGone()
    guided, flow = found
    await guided.save(update, context, actor, flow)


@pressed(FlowCancel)
async def cb_flow_cancel(
    update: Update, context: GotongContext, actor: Actor, data: FlowCancel
) -> None:
    """"Stop": the flow ends and nothing is saved."""
    if await _open(update, context, data.flow) is None:
        raise StaleButton()
    await flows.end_flow(context.db, actor.telegram_id)
    query = update.callback_query
    if query is not None:
        await query.answer()
    await edit_or_send(update, context, reader_for(context, actor).t("flow.cancelled"))


BUTTONS = (cb_flow_choice, cb_flow_skip, cb_flow_save, cb_flow_cancel)
