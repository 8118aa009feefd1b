"""Feedback as text and buttons: the ask, each next step, the results, the recent rounds.

The use cases (`bot.services.progress.feedback`, `.feedback_scores`) return frozen data;
this module words it in the reader's language and builds the typed buttons each answer
presses.  The outbox renderer of `feedback.ask` lives here too: it reads what the ask
still asks at send time and writes it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.renderers import Renderer, param
from bot.services.progress.feedback import (
    KIND_ASK,
    MAX_CHOICE_LEN,
    QuestionsSet,
    Rated,
    Step,
    pending_ask,
)
from bot.services.progress.feedback_scores import Comment, RoundLine, RoundResults, Scores
from bot.views.callbacks import CallbackData, callback
from bot.views.i18n import Html, escape
from bot.views.render import Button, Outgoing, Reader, truncate
from models import OutboxMessage, Person, QuestionKind

STARS = "⭐"
COMMENT_SHOWN = 600  # characters of one comment in a list (the rest: "…")
RESULTS_LIMIT = 4000  # one message, edited in place when paging: 5 comments of ≤ 600 fit


# ---- the buttons -----------------------------------------------------------------------------
class Subject(enum.StrEnum):
    EVENT = "e"
    SHIFT = "s"


@callback("fbr")
@dataclass(frozen=True, slots=True)
class Rate(CallbackData):
    """1–5 stars for one's own response."""

    response_id: int
    stars: int

    def __post_init__(self) -> None:
        if not 1 <= self.stars <= 5:
            raise ValueError("stars are 1 to 5")


@callback("fba")
@dataclass(frozen=True, slots=True)
class Choose(CallbackData):
    """A choice of a custom question."""

    response_id: int
    question_id: int
    choice: int


@callback("fbs")
@dataclass(frozen=True, slots=True)
class Skip(CallbackData):
    """ "Skip" on a custom question."""

    response_id: int
    question_id: int


@callback("fbn")
@dataclass(frozen=True, slots=True)
class TypeNumber(CallbackData):
    """ "Type a number": the next message answers a number question."""

    response_id: int
    question_id: int


@callback("fbc")
@dataclass(frozen=True, slots=True)
class AddComment(CallbackData):
    """ "Comment": the next message (text or photo) is the comment."""

    response_id: int


@callback("fbv")
@dataclass(frozen=True, slots=True)
class ViewResults(CallbackData):
    """One round's results, from the list of recent rounds."""

    subject: Subject
    subject_id: int


@callback("fbp")
@dataclass(frozen=True, slots=True)
class ResultsPage(CallbackData):
    """Another page of a round's comments."""

    subject: Subject
    subject_id: int
    page: int


def rating_keyboard(response_id: int, chosen: int | None = None) -> list[list[Button]]:
    return [
        [
            Button(("• " if n == chosen else "") + f"{n}{STARS}", Rate(response_id, n).pack())
            for n in range(1, 6)
        ]
    ]


# ---- asking and answering --------------------------------------------------------------------
def ask_text(reader: Reader, title: str, when: datetime) -> str:
    return reader.t("feedback.ask", title=truncate(title, 120), when=reader.date(when))


async def render_ask(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    """ "How was it? 1–5": skipped when the round closed or they already answered."""
    ask = await pending_ask(session, int(param(row, "response_id", 0)), reader.now)
    if ask is None:
        return None
    text = ask_text(reader, ask.title, ask.when)
    text += "\n" + reader.t("feedback.ask_until", date=reader.when(ask.closes_at))
    return Outgoing(text, rating_keyboard(ask.response_id))


def rated_toast(reader: Reader, rated: Rated, stars: int) -> str:
    """The answer to a star: the rating, and the one it replaced when it changed."""
    if rated.previous is None or rated.previous == stars:
        return reader.t("feedback.rated_toast", n=stars)
    return reader.t("feedback.rerated_toast", n=stars, before=rated.previous)


def _question_buttons(reader: Reader, step: Step) -> list[list[Button]]:
    rid, q = step.response_id, step.question
    assert q is not None
    keyboard: list[list[Button]] = []
    if q.kind == QuestionKind.CHOICE:
        buttons = [
            Button(truncate(c, MAX_CHOICE_LEN), Choose(rid, q.id, i).pack())
            for i, c in enumerate(q.choices)
        ]
        keyboard += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    else:
        keyboard.append(
            [Button(reader.t("feedback.btn_type_number"), TypeNumber(rid, q.id).pack())]
        )
    keyboard.append([Button(reader.t("feedback.btn_skip"), Skip(rid, q.id).pack())])
    return keyboard


def step_message(reader: Reader, step: Step) -> tuple[str, list[list[Button]]]:
    """The message after each answer: the next question, then the comment offer, then thanks."""
    rid = step.response_id
    head = ask_text(reader, step.title, step.when)
    if step.rating is None:
        return head, rating_keyboard(rid)
    lines = [head, reader.t("feedback.your_rating", stars=STARS * step.rating, n=step.rating)]
    keyboard = rating_keyboard(rid, step.rating)
    q = step.question
    if q is not None:
        lines.append(reader.t("feedback.question", prompt=q.prompt))
        if q.kind != QuestionKind.CHOICE:
            lines.append(reader.t("feedback.question_number_hint"))
        return "\n".join(lines), keyboard + _question_buttons(reader, step)
    comment = AddComment(rid).pack()
    if step.has_comment:
        lines.append(reader.t("feedback.thanks_comment"))
        keyboard.append([Button(reader.t("feedback.btn_comment_again"), comment)])
    else:
        lines.append(reader.t("feedback.offer_comment"))
        keyboard.append([Button(reader.t("feedback.btn_comment"), comment)])
    lines.append(reader.t("feedback.until", date=reader.when(step.closes_at)))
    return "\n".join(lines), keyboard


# ---- results ---------------------------------------------------------------------------------
def average_text(reader: Reader, scores: Scores) -> str:
    avg = scores.average
    return "–" if avg is None else reader.number(round(avg, 1))


def scores_line(reader: Reader, scores: Scores) -> str:
    return reader.t(
        "feedback.scores_line",
        average=average_text(reader, scores),
        ratings=reader.number(scores.ratings),
        asked=reader.number(scores.asked),
        comments=reader.number(scores.comments),
    )


def distribution_lines(reader: Reader, scores: Scores) -> list[str]:
    top = max(scores.distribution) or 1
    return [
        f"{n}{STARS} {'▓' * round(8 * count / top)}{'░' * (8 - round(8 * count / top))} "
        f"{reader.number(count)}"
        for n, count in zip(range(5, 0, -1), reversed(scores.distribution), strict=True)
    ]


def comment_line(reader: Reader, c: Comment, limit: int = COMMENT_SHOWN) -> str:
    stars = f"{c.rating}{STARS}" if c.rating else "–"
    photo = " 📷" if c.has_photo else ""
    text = escape(truncate(" ".join(c.text.split()), limit)) if c.text else ""
    return reader.t(
        "feedback.comment_line",
        name=truncate(c.person, 40),
        stars=stars,
        photo=photo,
        text=Html(text),
    )


def results_lines(reader: Reader, r: RoundResults) -> list[str]:
    lines = [
        reader.t("feedback.results_title", title=truncate(r.title, 120), when=reader.date(r.when)),
        scores_line(reader, r.scores),
    ]
    if r.scores.ratings:
        lines += distribution_lines(reader, r.scores)
    for qr in r.questions:
        lines.append(reader.t("feedback.question_result", prompt=qr.question.prompt))
        if qr.question.kind == QuestionKind.CHOICE:
            lines += [
                f"    • {escape(c)}: {reader.number(n)}"
                for c, n in zip(qr.question.choices, qr.choice_counts, strict=True)
            ]
        else:
            avg = qr.number_average
            lines.append(
                reader.t(
                    "feedback.number_result",
                    total=reader.number(qr.number_sum),
                    answered=reader.number(qr.answered),
                    average="–" if avg is None else reader.number(round(avg, 1)),
                )
            )
    if r.comments:
        lines.append(reader.t("feedback.comments_title", page=r.page + 1, pages=r.pages))
        lines += [comment_line(reader, c) for c in r.comments]
    else:
        lines.append(reader.t("feedback.no_comments"))
    return lines


def summary_line(reader: Reader, scores: Scores) -> str:
    """/summary: the last 30 days' ratings in one line."""
    return reader.t(
        "feedback.summary_line",
        average=average_text(reader, scores),
        ratings=reader.number(scores.ratings),
        asked=reader.number(scores.asked),
        comments=reader.number(scores.comments),
    )


def event_line(reader: Reader, scores: Scores, event_id: int) -> str:
    """The event card and /summary's event: its rating, with where to read the comments."""
    return reader.t(
        "feedback.event_line",
        average=average_text(reader, scores),
        ratings=reader.number(scores.ratings),
        asked=reader.number(scores.asked),
        comments=reader.number(scores.comments),
        id=event_id,
    )


def results_text(reader: Reader, r: RoundResults) -> str:
    """One round's results as one message (cut with "…" past `RESULTS_LIMIT`)."""
    text = "\n".join(results_lines(reader, r))
    return text if len(text) <= RESULTS_LIMIT else text[:3990] + "…"


def results_keyboard(reader: Reader, r: RoundResults) -> list[list[Button]]:
    subject = Subject.EVENT if r.is_event else Subject.SHIFT
    row = []
    if r.page > 0:
        row.append(
            Button(
                reader.t("feedback.btn_prev"), ResultsPage(subject, r.subject_id, r.page - 1).pack()
            )
        )
    if r.page + 1 < r.pages:
        row.append(
            Button(
                reader.t("feedback.btn_next"), ResultsPage(subject, r.subject_id, r.page + 1).pack()
            )
        )
    return [row] if row else []


def recent_message(reader: Reader, found: list[RoundLine]) -> tuple[list[str], list[list[Button]]]:
    """/feedback: the recent rounds, one line and one button each."""
    lines = [reader.t("feedback.list_title")]
    buttons = []
    for line in found:
        subject = Subject.EVENT if line.is_event else Subject.SHIFT
        lines.append(
            reader.t(
                "feedback.list_line",
                title=truncate(line.title, 60),
                when=reader.date(line.when),
                average=average_text(reader, line.scores),
                ratings=reader.number(line.scores.ratings),
                comments=reader.number(line.scores.comments),
                ref=f"{subject.value}{line.subject_id}",
            )
        )
        buttons.append(
            [
                Button(
                    truncate(f"{line.title} · {reader.date(line.when)}", 60),
                    ViewResults(subject, line.subject_id).pack(),
                )
            ]
        )
    return lines, buttons


def questions_lines(reader: Reader, result: QuestionsSet) -> list[str]:
    """The event's custom questions after one was added."""
    lines = [reader.t("feedback.questions_set", title=result.event_title)]
    for q in result.questions:
        kind = reader.t(f"feedback.kind_{q.kind.value}")
        extra = " · ".join(q.choices)
        lines.append(
            reader.t(
                "feedback.question_line", n=q.position, kind=kind, prompt=q.prompt, choices=extra
            )
        )
    return lines


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    KIND_ASK: render_ask,
}
