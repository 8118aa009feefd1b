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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, literal, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.outbox import NewMessage, enqueue
from bot.delivery.renderers import param, renderer
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.services import audit
from bot.services.authz import Permission, is_team_scoped, require
from bot.services.people.members import Actor
from bot.services.progress.goals import Scope
from bot.views.i18n import Html, escape
from bot.views.render import Button, Outgoing, Reader, truncate
from models import (
    Event,
    EventRsvp,
    EventStatus,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    FeedbackRound,
    Membership,
    OutboxMessage,
    Person,
    QuestionKind,
    Role,
    Shift,
    ShiftSignup,
    ShiftStatus,
)

KIND_ASK = "feedback.ask"
CB_FEEDBACK = "fb"
WINDOW = timedelta(days=7)
ASK_LOOKBACK = timedelta(days=3)  # older subjects are not asked about any more
SWEEP_BATCH = 200
MAX_QUESTIONS = 2
MAX_PROMPT = 200
MAX_CHOICES = 6
MAX_CHOICE_LEN = 30
MAX_COMMENT = 4096  # a Telegram message; longer text cannot arrive in one
MAX_NUMBER = 10**9
COMMENTS_PER_PAGE = 5
COMMENT_SHOWN = 600  # characters of one comment in a list (the rest: "…")
RECENT_DAYS = 30
MAX_RECENT = 10
STARS = "⭐"


# ---- results ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Question:
    id: int
    position: int
    kind: QuestionKind
    prompt: str
    choices: tuple[str, ...]


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


@dataclass(frozen=True, slots=True)
class Scores:
    """Ratings of some rounds: how many, the average, how many of each star."""

    ratings: int
    total: int  # sum of the ratings (the average is total / ratings)
    distribution: tuple[int, int, int, int, int]
    comments: int
    asked: int

    @property
    def average(self) -> float | None:
        return self.total / self.ratings if self.ratings else None

    @property
    def response_rate(self) -> float | None:
        return self.ratings / self.asked if self.asked else None


EMPTY_SCORES = Scores(0, 0, (0, 0, 0, 0, 0), 0, 0)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question: Question
    answered: int
    choice_counts: tuple[int, ...]  # choice questions
    number_sum: int  # number questions

    @property
    def number_average(self) -> float | None:
        return self.number_sum / self.answered if self.answered else None


@dataclass(frozen=True, slots=True)
class Comment:
    person: str
    rating: int | None
    text: str
    has_photo: bool
    at: datetime
    team: str | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class RoundResults:
    round_id: int
    title: str
    when: datetime
    is_event: bool
    subject_id: int
    closes_at: datetime
    scores: Scores
    questions: tuple[QuestionResult, ...]
    comments: tuple[Comment, ...]
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class RoundLine:
    is_event: bool
    subject_id: int
    title: str
    when: datetime
    scores: Scores


# ---- helpers ------------------------------------------------------------------------------
def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def question_of(q: FeedbackQuestion) -> Question:
    return Question(q.id, q.position, q.kind, q.prompt, tuple(str(c) for c in q.choices or ()))


def _with_comment() -> Any:
    return FeedbackResponse.comment.is_not(None) | FeedbackResponse.photo_file_id.is_not(None)


def score_columns() -> list[Any]:
    """Ratings, their sum, each star's count, comments, people asked (`scores_from` reads)."""
    return [
        _count_if(FeedbackResponse.rating.is_not(None)),
        func.coalesce(func.sum(FeedbackResponse.rating), 0),
        *(_count_if(FeedbackResponse.rating == n) for n in range(1, 6)),
        _count_if(_with_comment()),
        func.count(FeedbackResponse.id),
    ]


def scores_query(rounds: Any) -> Select[Any]:
    """One aggregate over the responses of the rounds selected by `rounds` (a WHERE)."""
    return (
        select(*score_columns())
        .select_from(FeedbackResponse)
        .join(FeedbackRound, FeedbackRound.id == FeedbackResponse.round_id)
        .where(rounds)
    )


def scores_from(row: Sequence[Any]) -> Scores:
    values = [int(v or 0) for v in row]
    dist = (values[2], values[3], values[4], values[5], values[6])
    return Scores(values[0], values[1], dist, values[7], values[8])


def in_scope(teams: Scope) -> Any:
    return literal(True) if teams is None else FeedbackRound.team_id.in_(teams)


async def scores_in(session: AsyncSession, teams: Scope, start: datetime, end: datetime) -> Scores:
    """Ratings of the events and shifts that started in [start, end) (optionally some teams)."""
    where = and_(
        FeedbackRound.subject_starts_at >= start,
        FeedbackRound.subject_starts_at < end,
        in_scope(teams),
    )
    return scores_from((await session.execute(scores_query(where))).one())


async def scores_by_team(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[int | None, Scores]:
    """The same per team (None: campaign-wide events and shifts), one grouped query."""
    query = (
        select(FeedbackRound.team_id, *score_columns())
        .select_from(FeedbackResponse)
        .join(FeedbackRound, FeedbackRound.id == FeedbackResponse.round_id)
        .where(FeedbackRound.subject_starts_at >= start, FeedbackRound.subject_starts_at < end)
        .group_by(FeedbackRound.team_id)
    )
    return {row[0]: scores_from(row[1:]) for row in await session.execute(query)}


async def selected_comments(
    session: AsyncSession, teams: Scope, start: datetime, end: datetime, *, limit: int = 6
) -> tuple[Comment, ...]:
    """A few comments that speak for the rest: the lowest- and the highest-rated, newest first.

    Two bounded, indexed queries (ORDER BY ... LIMIT), never every comment in memory.
    """
    base = (
        select(
            Person.first_name,
            FeedbackResponse.rating,
            FeedbackResponse.comment,
            FeedbackResponse.photo_file_id.is_not(None),
            FeedbackResponse.commented_at,
            FeedbackRound.title,
            FeedbackResponse.id,
        )
        .join(FeedbackRound, FeedbackRound.id == FeedbackResponse.round_id)
        .join(Person, Person.id == FeedbackResponse.person_id)
        .where(
            FeedbackRound.subject_starts_at >= start,
            FeedbackRound.subject_starts_at < end,
            FeedbackResponse.comment.is_not(None),
            in_scope(teams),
        )
    )
    half = max(limit // 2, 1)
    low = await session.execute(
        base.order_by(FeedbackResponse.rating.asc().nulls_last(), FeedbackResponse.id.desc()).limit(
            half
        )
    )
    high = await session.execute(
        base.order_by(
            FeedbackResponse.rating.desc().nulls_last(), FeedbackResponse.id.desc()
        ).limit(limit)
    )
    seen: set[int] = set()
    picked: list[Comment] = []
    for name, rating, text, photo, at, title, rid in [*low.all(), *high.all()]:
        if rid in seen or len(picked) >= limit:
            continue
        seen.add(rid)
        picked.append(
            Comment(name or "?", rating, text or "", bool(photo), at or start, subject=title)
        )
    picked.sort(key=lambda c: (c.rating or 0, c.at), reverse=True)
    return tuple(picked)


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
            NewMessage(
                kind=KIND_ASK,
                chat_id=int(tid),
                person_id=int(pid),
                dedup_key=f"fb:{rid}",
                due_at=now,
                params={"response_id": int(rid)},
                cause=f"feedback:{fb_round.id}",
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


async def _questions(session: AsyncSession, fb_round: FeedbackRound) -> list[FeedbackQuestion]:
    if fb_round.event_id is None:
        return []
    return list(
        await session.scalars(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.event_id == fb_round.event_id)
            .order_by(FeedbackQuestion.position)
        )
    )


async def _step(session: AsyncSession, response: FeedbackResponse, fb_round: FeedbackRound) -> Step:
    answered = set(
        await session.scalars(
            select(FeedbackAnswer.question_id).where(FeedbackAnswer.response_id == response.id)
        )
    )
    pending = [q for q in await _questions(session, fb_round) if q.id not in answered]
    return Step(
        response_id=response.id,
        title=fb_round.title,
        when=fb_round.subject_starts_at,
        rating=response.rating,
        question=question_of(pending[0]) if pending and response.rating else None,
        has_comment=response.comment is not None or response.photo_file_id is not None,
        closes_at=fb_round.closes_at,
    )


def rating_keyboard(response_id: int, chosen: int | None = None) -> list[list[Button]]:
    return [
        [
            Button(
                ("• " if n == chosen else "") + f"{n}{STARS}",
                f"{CB_FEEDBACK}:r:{response_id}:{n}",
            )
            for n in range(1, 6)
        ]
    ]


def ask_text(reader: Reader, title: str, when: datetime) -> str:
    return reader.t("feedback.ask", title=truncate(title, 120), when=reader.date(when))


@renderer(KIND_ASK)
async def render_ask(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    """ "How was it? 1–5": skipped when the round closed or they already answered."""
    response = await session.get(FeedbackResponse, int(param(row, "response_id", 0)))
    if response is None or response.rating is not None:
        return None
    fb_round = await session.get(FeedbackRound, response.round_id)
    if fb_round is None or fb_round.closes_at <= reader.now:
        return None
    text = ask_text(reader, fb_round.title, fb_round.subject_starts_at)
    text += "\n" + reader.t("feedback.ask_until", date=reader.when(fb_round.closes_at))
    return Outgoing(text, rating_keyboard(response.id))


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
        raise InvalidInput("feedback.bad_number", text=truncate(text.strip(), 40))
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
        if q.kind == QuestionKind.CHOICE:
            buttons = [
                Button(truncate(c, MAX_CHOICE_LEN), f"{CB_FEEDBACK}:a:{rid}:{q.id}:{i}")
                for i, c in enumerate(q.choices)
            ]
            keyboard += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        else:
            lines.append(reader.t("feedback.question_number_hint"))
            keyboard.append(
                [Button(reader.t("feedback.btn_type_number"), f"{CB_FEEDBACK}:n:{rid}:{q.id}")]
            )
        keyboard.append([Button(reader.t("feedback.btn_skip"), f"{CB_FEEDBACK}:s:{rid}:{q.id}")])
        return "\n".join(lines), keyboard
    if step.has_comment:
        lines.append(reader.t("feedback.thanks_comment"))
        keyboard.append([Button(reader.t("feedback.btn_comment_again"), f"{CB_FEEDBACK}:c:{rid}")])
    else:
        lines.append(reader.t("feedback.offer_comment"))
        keyboard.append([Button(reader.t("feedback.btn_comment"), f"{CB_FEEDBACK}:c:{rid}")])
    lines.append(reader.t("feedback.until", date=reader.when(step.closes_at)))
    return "\n".join(lines), keyboard


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


# ---- reading results ---------------------------------------------------------------------
def _may_read(actor: Actor, team_id: int | None) -> bool:
    """Coordinators read everything; a lead reads the rounds of the teams they lead."""
    if is_team_scoped(actor):
        return team_id is not None and team_id in actor.lead_team_ids
    return actor.role in (Role.ADMIN, Role.COORDINATOR)


async def round_results(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    event_id: int | None = None,
    shift_id: int | None = None,
    page: int = 0,
) -> RoundResults:
    """One round: scores, the custom questions' results and a page of comments."""
    require(actor, Permission.VIEW_SUMMARY)
    async with sessionmaker() as session:
        where = (
            FeedbackRound.event_id == event_id
            if event_id is not None
            else FeedbackRound.shift_id == shift_id
        )
        fb_round = await session.scalar(select(FeedbackRound).where(where))
        if fb_round is None:
            if event_id is not None and await session.get(Event, event_id) is None:
                raise NotFound("feedback.no_event", id=event_id)
            raise NotFound("feedback.no_round")
        if not _may_read(actor, fb_round.team_id):
            raise NotAllowed(permission=Permission.VIEW_SUMMARY.value)
        scores = scores_from(
            (await session.execute(scores_query(FeedbackRound.id == fb_round.id))).one()
        )
        results: list[QuestionResult] = []
        for q in await _questions(session, fb_round):
            if q.kind == QuestionKind.CHOICE:
                counts = dict(
                    (c, int(n))
                    for c, n in await session.execute(
                        select(FeedbackAnswer.choice, func.count())
                        .where(
                            FeedbackAnswer.question_id == q.id, FeedbackAnswer.choice.is_not(None)
                        )
                        .group_by(FeedbackAnswer.choice)
                    )
                )
                per = tuple(counts.get(i, 0) for i in range(len(q.choices or ())))
                results.append(QuestionResult(question_of(q), sum(per), per, 0))
            else:
                n, total = (
                    await session.execute(
                        select(
                            func.count(), func.coalesce(func.sum(FeedbackAnswer.number), 0)
                        ).where(
                            FeedbackAnswer.question_id == q.id, FeedbackAnswer.number.is_not(None)
                        )
                    )
                ).one()
                results.append(QuestionResult(question_of(q), int(n), (), int(total or 0)))
        with_comment = _with_comment()
        pages = max((scores.comments + COMMENTS_PER_PAGE - 1) // COMMENTS_PER_PAGE, 1)
        page = min(max(page, 0), pages - 1)
        rows = await session.execute(
            select(Person, FeedbackResponse)
            .join(Person, Person.id == FeedbackResponse.person_id)
            .where(FeedbackResponse.round_id == fb_round.id, with_comment)
            .order_by(FeedbackResponse.commented_at.desc(), FeedbackResponse.id.desc())
            .offset(page * COMMENTS_PER_PAGE)
            .limit(COMMENTS_PER_PAGE)
        )
        comments = tuple(
            Comment(
                p.display_name,
                r.rating,
                r.comment or "",
                r.photo_file_id is not None,
                r.commented_at or fb_round.asked_at,
            )
            for p, r in rows
        )
        return RoundResults(
            fb_round.id,
            fb_round.title,
            fb_round.subject_starts_at,
            fb_round.event_id is not None,
            int(fb_round.event_id or fb_round.shift_id or 0),
            fb_round.closes_at,
            scores,
            tuple(results),
            comments,
            page,
            pages,
        )


async def recent_rounds(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime
) -> list[RoundLine]:
    """The latest rounds the actor may read, with their scores (one grouped query)."""
    require(actor, Permission.VIEW_SUMMARY)
    async with sessionmaker() as session:
        query = (
            select(FeedbackRound)
            .where(FeedbackRound.asked_at >= now - timedelta(days=RECENT_DAYS))
            .order_by(FeedbackRound.subject_starts_at.desc(), FeedbackRound.id.desc())
            .limit(MAX_RECENT)
        )
        if is_team_scoped(actor):
            query = query.where(FeedbackRound.team_id.in_(actor.lead_team_ids or {-1}))
        rounds = list(await session.scalars(query))
        if not rounds:
            return []
        grouped = await session.execute(
            select(FeedbackResponse.round_id, *score_columns())
            .where(FeedbackResponse.round_id.in_([r.id for r in rounds]))
            .group_by(FeedbackResponse.round_id)
        )
        by_round = {row[0]: scores_from(row[1:]) for row in grouped}
        return [
            RoundLine(
                r.event_id is not None,
                int(r.event_id or r.shift_id or 0),
                r.title,
                r.subject_starts_at,
                by_round.get(r.id, EMPTY_SCORES),
            )
            for r in rounds
        ]


async def event_scores_in(session: AsyncSession, actor: Actor, event_id: int) -> Scores | None:
    """An event's scores: None when nobody was asked yet or the actor may not read them."""
    fb_round = await session.scalar(select(FeedbackRound).where(FeedbackRound.event_id == event_id))
    if fb_round is None or not _may_read(actor, fb_round.team_id):
        return None
    return scores_from((await session.execute(scores_query(FeedbackRound.id == fb_round.id))).one())


async def event_scores(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> Scores | None:
    """The event card's feedback line (read-only)."""
    async with sessionmaker() as session:
        return await event_scores_in(session, actor, event_id)


# ---- rendering (Telegram HTML lines) -------------------------------------------------------
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
