"""Feedback read back: the scores of rounds, one round's results and comments, recent rounds.

Every number is one aggregate over the responses (COUNT/SUM with CASE), grouped where
a list needs several; comments are read a page (or a bounded pick) at a time.  The
summary, the report and the event card read ratings through here; the asking and
answering use cases live in `bot.services.progress.feedback`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotFound
from bot.services.authz import Permission, is_team_scoped, refusal, require
from bot.services.people.members import Actor
from bot.services.progress.goals import Scope
from models import (
    Event,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    FeedbackRound,
    Person,
    QuestionKind,
    Role,
)

COMMENTS_PER_PAGE = 5
RECENT_DAYS = 30
MAX_RECENT = 10


# ---- results ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Question:
    id: int
    position: int
    kind: QuestionKind
    prompt: str
    choices: tuple[str, ...]


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


async def round_questions(session: AsyncSession, fb_round: FeedbackRound) -> list[FeedbackQuestion]:
    if fb_round.event_id is None:
        return []
    return list(
        await session.scalars(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.event_id == fb_round.event_id)
            .order_by(FeedbackQuestion.position)
        )
    )


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
            raise refusal(actor, Permission.VIEW_SUMMARY, fb_round.team_id)
        scores = scores_from(
            (await session.execute(scores_query(FeedbackRound.id == fb_round.id))).one()
        )
        results: list[QuestionResult] = []
        for q in await round_questions(session, fb_round):
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
