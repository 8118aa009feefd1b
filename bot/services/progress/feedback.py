"""Feedback from the field: ask the people who came, once; store their rating, answers, comment.

When: a periodic sweep opens a *round* for each event and each shift whose attendance
was judged (the no-show sweeps set `no_shows_marked_at`), ended at most `ASK_LOOKBACK`
ago and has no round yet.  Who: everyone checked in (not a no-show) plus the leads of
the subject's team; a shift that belongs to an event is part of that event's round, so
nobody is asked twice about one afternoon.  How: one outbox row per person (kind
`feedback.ask`, not urgent: quiet hours hold it), rendered at send time; the round
stays open for `WINDOW`.

Rules people meet: a rating pressed twice updates the answer (the last one counts, and
the reply says so); anything after the window closed is refused with the closing date;
a comment is stored as typed (up to Telegram's 4,096 characters), escaped wherever it
is shown, and cut with "…" in lists.

Reading the results back is `bot.services.progress.feedback_scores`; how all of it reads
(the ask, the next step, the results) is `bot.views.feedback`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, literal, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import kinds
from bot.delivery.outbox import enqueue
from bot.errors import InvalidInput, NotFound
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.people.members import Actor
from bot.services.progress.feedback_scores import Question, question_of, round_questions
from models import (
    Event,
    EventRsvp,
    EventStatus,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    FeedbackRound,
    Membership,
    Person,
    QuestionKind,
    Shift,
    ShiftSignup,
    ShiftStatus,
)

KIND_ASK = kinds.FEEDBACK_ASK.name
WINDOW = timedelta(days=7)
ASK_LOOKBACK = timedelta(days=3)  # older subjects are not asked about any more
SWEEP_BATCH = 200
MAX_QUESTIONS = 2
MAX_PROMPT = 200
MAX_CHOICES = 6
MAX_CHOICE_LEN = 30
MAX_COMMENT = 4096  # a Telegram message; longer text cannot arrive in one
MAX_NUMBER = 10**9


# ---- results ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Step:
    """Where a person is in answering: what to show them next."""

    response_id: int
    title: str
    when: datetime
    rating: int | None
    question: Question | None  # the next unanswered question, None when all are done
    has_comment: bool
    closes_at: datetime


@dataclass(frozen=True, slots=True)
class Rated:
    step: Step
    previous: int | None  # the rating before this press (None: first rating)


# ---- helpers ------------------------------------------------------------------------------
def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


# ---- asking --------------------------------------------------------------------------------
def _leads_of(team_id: Any) -> Any:
    return select(Membership.person_id, literal(True).label("as_lead")).where(
        Membership.team_id == team_id, Membership.is_lead.is_(True)
    )


async def _open_round(
    session: AsyncSession,
    *,
    now: datetime,
    event: Event | None = None,
    shift: Shift | None = None,
) -> int:
    """Creates the round and its responses; returns how many asks were enqueued."""
    subject = event if event is not None else shift
    assert subject is not None
    fb_round = FeedbackRound(
        event_id=event.id if event else None,
        shift_id=shift.id if shift else None,
        team_id=subject.team_id,
        title=subject.title[:200],
        subject_starts_at=subject.starts_at,
        asked_at=now,
        closes_at=now + WINDOW,
    )
    session.add(fb_round)
    await session.flush()
    if event is not None:
        came: Any = union(
            select(EventRsvp.person_id, literal(False).label("as_lead")).where(
                EventRsvp.event_id == event.id,
                EventRsvp.checked_in_at.is_not(None),
                EventRsvp.no_show.is_(False),
            ),
            # The event's roles (shifts): those who came to one came to the event.
            select(ShiftSignup.person_id, literal(False).label("as_lead"))
            .join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(
                Shift.event_id == event.id,
                ShiftSignup.checked_in_at.is_not(None),
                ShiftSignup.no_show.is_(False),
            ),
        )
    else:
        assert shift is not None
        came = select(ShiftSignup.person_id, literal(False).label("as_lead")).where(
            ShiftSignup.shift_id == shift.id,
            ShiftSignup.checked_in_at.is_not(None),
            ShiftSignup.no_show.is_(False),
        )
    people: dict[int, bool] = {}
    for pid, as_lead in await session.execute(select(came.subquery())):
        people[int(pid)] = people.get(int(pid), True) and bool(as_lead)
    if subject.team_id is not None:
        for pid, _ in await session.execute(_leads_of(subject.team_id)):
            people.setdefault(int(pid), True)
    if not people:
        return 0
    insert = _insert(session)
    await session.execute(
        insert(FeedbackResponse).on_conflict_do_nothing(),
        [
            {"round_id": fb_round.id, "person_id": pid, "as_lead": lead}
            for pid, lead in people.items()
        ],
    )
    targets = await session.execute(
        select(FeedbackResponse.id, Person.id, Person.telegram_id)
        .join(Person, Person.id == FeedbackResponse.person_id)
        .where(FeedbackResponse.round_id == fb_round.id, Person.reachable.is_(True))
    )
    return await enqueue(
        session,
        [
            kinds.FEEDBACK_ASK.message(
                chat_id=int(tid),
                person_id=int(pid),
                due_at=now,
                params={"response_id": int(rid)},
                response_id=int(rid),
                round_id=fb_round.id,
            )
            for rid, pid, tid in targets
        ],
    )


async def ask_for_feedback(sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    """Opens a round for every judged, recently ended event and shift; idempotent."""
    asked = 0
    async with sessionmaker.begin() as session:
        events = list(
            await session.scalars(
                select(Event)
                .where(
                    Event.status == EventStatus.SCHEDULED,
                    Event.no_shows_marked_at.is_not(None),
                    Event.ends_at <= now,
                    Event.ends_at > now - ASK_LOOKBACK,
                    ~exists().where(FeedbackRound.event_id == Event.id),
                )
                .order_by(Event.ends_at)
                .limit(SWEEP_BATCH)
            )
        )
        for event in events:
            asked += await _open_round(session, now=now, event=event)
        shifts = list(
            await session.scalars(
                select(Shift)
                .where(
                    Shift.status == ShiftStatus.OPEN,
                    Shift.event_id.is_(None),
                    Shift.no_shows_marked_at.is_not(None),
                    Shift.ends_at <= now,
                    Shift.ends_at > now - ASK_LOOKBACK,
                    ~exists().where(FeedbackRound.shift_id == Shift.id),
                )
                .order_by(Shift.ends_at)
                .limit(SWEEP_BATCH)
            )
        )
        for shift in shifts:
            asked += await _open_round(session, now=now, shift=shift)
    return asked


async def _step(session: AsyncSession, response: FeedbackResponse, fb_round: FeedbackRound) -> Step:
    answered = set(
        await session.scalars(
            select(FeedbackAnswer.question_id).where(FeedbackAnswer.response_id == response.id)
        )
    )
    pending = [q for q in await round_questions(session, fb_round) if q.id not in answered]
    return Step(
        response_id=response.id,
        title=fb_round.title,
        when=fb_round.subject_starts_at,
        rating=response.rating,
        question=question_of(pending[0]) if pending and response.rating else None,
        has_comment=response.comment is not None or response.photo_file_id is not None,
        closes_at=fb_round.closes_at,
    )


@dataclass(frozen=True, slots=True)
class Ask:
    """The "how was it?" message as it stands at send time."""

    response_id: int
    title: str
    when: datetime
    closes_at: datetime


async def pending_ask(session: AsyncSession, response_id: int, now: datetime) -> Ask | None:
    """What the `feedback.ask` row still asks: None once rated or after the round closed."""
    response = await session.get(FeedbackResponse, response_id)
    if response is None or response.rating is not None:
        return None
    fb_round = await session.get(FeedbackRound, response.round_id)
    if fb_round is None or fb_round.closes_at <= now:
        return None
    return Ask(response.id, fb_round.title, fb_round.subject_starts_at, fb_round.closes_at)


# ---- answering ---------------------------------------------------------------------------
class FeedbackClosed(InvalidInput):
    """The round's window is over; the handler words it with the reader's date format."""

    key = "feedback.closed"

    def __init__(self, closes_at: datetime) -> None:
        super().__init__(closed=closes_at.isoformat())
        self.closes_at = closes_at


async def _own_open_response(
    session: AsyncSession, actor: Actor, response_id: int, now: datetime
) -> tuple[FeedbackResponse, FeedbackRound]:
    response = await session.get(FeedbackResponse, response_id)
    if response is None or response.person_id != actor.person_id:
        raise NotFound()
    fb_round = await session.get(FeedbackRound, response.round_id)
    if fb_round is None:
        raise NotFound()
    if fb_round.closes_at <= now:
        raise FeedbackClosed(fb_round.closes_at)
    return response, fb_round


async def rate(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    response_id: int,
    rating: int,
    *,
    now: datetime,
) -> Rated:
    """1–5 stars; pressing again changes the rating (the last press counts)."""
    if not 1 <= rating <= 5:
        raise InvalidInput("feedback.bad_rating")
    async with sessionmaker.begin() as session:
        response, fb_round = await _own_open_response(session, actor, response_id, now)
        previous = response.rating
        response.rating, response.rated_at = rating, now
        await session.flush()
        return Rated(await _step(session, response, fb_round), previous)


async def answer_question(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    response_id: int,
    question_id: int,
    *,
    choice: int | None = None,
    number_text: str | None = None,
    skip: bool = False,
    now: datetime,
) -> Step:
    """A choice tapped, a number typed, or "skip"; answering again replaces the answer."""
    async with sessionmaker.begin() as session:
        response, fb_round = await _own_open_response(session, actor, response_id, now)
        question = await session.get(FeedbackQuestion, question_id)
        if question is None or question.event_id != fb_round.event_id:
            raise NotFound()
        number: int | None = None
        if not skip:
            if question.kind == QuestionKind.CHOICE:
                if choice is None or not 0 <= choice < len(question.choices or ()):
                    raise NotFound()
            else:
                number = parse_count(number_text or "")
                choice = None
        else:
            choice = None
        existing = await session.get(FeedbackAnswer, (response.id, question.id))
        if existing is None:
            session.add(
                FeedbackAnswer(
                    response_id=response.id,
                    question_id=question.id,
                    number=number,
                    choice=choice,
                    answered_at=now,
                )
            )
        else:
            existing.number, existing.choice, existing.answered_at = number, choice, now
        await session.flush()
        return await _step(session, response, fb_round)


def parse_count(text: str) -> int:
    cleaned = text.strip().replace(".", "").replace(",", "").replace(" ", "")
    if not cleaned.isdigit() or len(cleaned) > 10 or int(cleaned) > MAX_NUMBER:
        shown = text.strip()
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        raise InvalidInput("feedback.bad_number", text=shown)
    return int(cleaned)


async def comment(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    response_id: int,
    text: str | None,
    *,
    photo_file_id: str | None = None,
    now: datetime,
) -> Step:
    """Stores the comment (and/or photo) as sent; a second one replaces the first."""
    cleaned = (text or "").strip()
    if not cleaned and photo_file_id is None:
        raise InvalidInput("feedback.comment_empty")
    async with sessionmaker.begin() as session:
        response, fb_round = await _own_open_response(session, actor, response_id, now)
        response.comment = cleaned[:MAX_COMMENT] or None
        if photo_file_id is not None:
            response.photo_file_id = photo_file_id[:200]
        response.commented_at = now
        await session.flush()
        return await _step(session, response, fb_round)


async def step_of(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, response_id: int, *, now: datetime
) -> Step:
    """Where the person is (for "comment" and "done" buttons); refused after the window."""
    async with sessionmaker() as session:
        response, fb_round = await _own_open_response(session, actor, response_id, now)
        return await _step(session, response, fb_round)


# ---- custom questions --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QuestionsSet:
    event_title: str
    questions: tuple[Question, ...]


async def _managed_event(session: AsyncSession, actor: Actor, event_id: int) -> Event:
    event = await session.get(Event, event_id)
    if event is None:
        raise NotFound("feedback.no_event", id=event_id)
    require(actor, Permission.MANAGE_EVENTS, event.team_id)
    return event


async def set_question(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    event_id: int,
    kind_word: str,
    text: str,
    *,
    now: datetime,
) -> QuestionsSet:
    """`number How many flyers?` or `choice Venue? | good | ok | bad`: adds a question (≤ 2)."""
    require(actor, Permission.MANAGE_EVENTS)
    kind = {
        "number": QuestionKind.NUMBER,
        "angka": QuestionKind.NUMBER,
        "choice": QuestionKind.CHOICE,
        "pilihan": QuestionKind.CHOICE,
    }.get(kind_word.lower())
    if kind is None:
        raise InvalidInput("feedback.question_usage")
    parts = [p.strip() for p in text.split("|")]
    prompt, choices = " ".join(parts[0].split()), [c for c in parts[1:] if c]
    if not prompt:
        raise InvalidInput("feedback.question_usage")
    if len(prompt) > MAX_PROMPT:
        raise InvalidInput("feedback.question_too_long", max=MAX_PROMPT)
    if kind == QuestionKind.CHOICE:
        if not 2 <= len(choices) <= MAX_CHOICES:
            raise InvalidInput("feedback.question_choices", max=MAX_CHOICES)
        if any(len(c) > MAX_CHOICE_LEN for c in choices):
            raise InvalidInput("feedback.choice_too_long", max=MAX_CHOICE_LEN)
    elif choices:
        raise InvalidInput("feedback.question_usage")
    async with sessionmaker.begin() as session:
        event = await _managed_event(session, actor, event_id)
        if await session.scalar(select(FeedbackRound.id).where(FeedbackRound.event_id == event.id)):
            raise InvalidInput("feedback.questions_locked")
        existing = list(
            await session.scalars(
                select(FeedbackQuestion).where(FeedbackQuestion.event_id == event.id)
            )
        )
        if len(existing) >= MAX_QUESTIONS:
            raise InvalidInput("feedback.questions_full", max=MAX_QUESTIONS)
        used = {q.position for q in existing}
        question = FeedbackQuestion(
            event_id=event.id,
            position=1 if 1 not in used else 2,
            kind=kind,
            prompt=prompt,
            choices=choices,
            created_by_id=actor.person_id,
            created_at=now,
        )
        session.add(question)
        await session.flush()
        audit.record(
            session,
            action="feedback.question",
            actor_id=actor.person_id,
            target_type="event",
            target_id=event.id,
            kind=kind.value,
        )
        questions = sorted([*existing, question], key=lambda q: q.position)
        return QuestionsSet(event.title, tuple(question_of(q) for q in questions))


async def clear_questions(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> QuestionsSet:
    """`/feedback question 12 off`: removes the event's questions (before anyone was asked)."""
    require(actor, Permission.MANAGE_EVENTS)
    async with sessionmaker.begin() as session:
        event = await _managed_event(session, actor, event_id)
        if await session.scalar(select(FeedbackRound.id).where(FeedbackRound.event_id == event.id)):
            raise InvalidInput("feedback.questions_locked")
        for q in await session.scalars(
            select(FeedbackQuestion).where(FeedbackQuestion.event_id == event.id)
        ):
            await session.delete(q)
        return QuestionsSet(event.title, ())
