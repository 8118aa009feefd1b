"""Broadcasts: compose, target, preview, confirm or schedule, cancel, follow, report.

Quiet hours never hide a coordinator's action: a broadcast sent now or at a chosen time
goes out then (its rows are urgent).  When some recipients are in their quiet hours at
that moment, the handler shows it first (`quiet_outlook`) and the coordinator may hold
those messages (`QuietHold`): each is then due at the end of its recipient's quiet hours,
and the progress message and /broadcasts say how many wait, and until when.

Use cases for `handlers/broadcast.py` (one transaction each, plain results) plus the
dispatcher-side lifecycle (`advance`: start due scheduled ones, aggregate live counts,
finish and report) and the renderers of the kinds a broadcast enqueues.

Rules that races would break live in the database: Confirm is a conditional
`UPDATE ... WHERE status = 'draft'` in the same transaction as the outbox inserts, so a
double press or a press after Cancel sends once or not at all.  Leads may only target a
team they lead (re-checked here, not only by which buttons they saw).  Partners and media
are excluded by `audiences.recipients` from every audience not meant for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.audiences import AUDIENCES, AudienceKind, targets
from bot.delivery.leasing import BLOCKED_PREFIX, Audience
from bot.delivery.outbox import (
    PRIORITY_BULK,
    PRIORITY_INTERACTIVE,
    NewMessage,
    cancel_cause,
    enqueue,
)
from bot.delivery.quiet import QuietHours
from bot.delivery.renderers import param, renderer
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services import audit
from bot.services.authz import Permission, is_team_scoped, require
from bot.services.people.members import Actor
from bot.views.i18n import Html
from bot.views.render import (
    TELEGRAM_CAPTION_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    Button,
    Outgoing,
    Reader,
    to_plain,
    truncate,
)
from models import Broadcast, BroadcastStatus, OutboxMessage, OutboxStatus, Person

KIND_MESSAGE = "broadcast.message"
KIND_REPORT = "broadcast.report"
CALLBACK_PREFIX = "bc"  # owned by handlers/broadcast.py; the report's button uses it too
MEDIA_TYPES = ("photo", "document")
RECENT_LIMIT = 10
FAILURES_PAGE = 40


def cause_of(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


@dataclass(frozen=True, slots=True)
class AudienceOption:
    kind: str
    label_key: str
    has_choices: bool


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    status: BroadcastStatus
    text: str
    media_type: str | None
    audience: str | None
    audience_label_key: str | None
    audience_name: str
    count: int = 0


@dataclass(frozen=True, slots=True)
class Held:
    count: int = 0
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Confirmed:
    id: int
    status: BroadcastStatus
    total: int
    scheduled_at: datetime | None
    held: Held = Held()  # messages waiting for their recipients' quiet hours to end


@dataclass(frozen=True, slots=True)
class QuietOutlook:
    """Who of a draft's recipients would be inside their quiet hours at `at`."""

    total: int
    held: int
    until: datetime | None  # when the first of them leaves their quiet hours (UTC)


@dataclass(frozen=True, slots=True)
class QuietHold:
    """The coordinator chose to let recipients in their quiet hours get it in the morning."""

    quiet: QuietHours
    default_timezone: str


@dataclass(frozen=True, slots=True)
class Summary:
    id: int
    status: BroadcastStatus
    audience_label_key: str | None
    audience_name: str
    total: int
    sent: int
    failed: int
    blocked: int
    created_at: datetime
    scheduled_at: datetime | None
    excerpt: str
    held: Held = Held()


@dataclass(frozen=True, slots=True)
class FailureLine:
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class FailurePage:
    broadcast_id: int
    lines: list[FailureLine]
    offset: int
    total: int


@dataclass(frozen=True, slots=True)
class ProgressView:
    id: int
    progress_chat_id: int
    progress_message_id: int | None
    language: str | None
    timezone: str | None
    total: int
    sent: int
    failed: int
    blocked: int
    skipped: int
    remaining: int
    eta_seconds: int
    done: bool
    as_of: datetime  # the dispatcher's "now" when this state was read (texts use it)
    held: Held = Held()


# ---- composing ---------------------------------------------------------------------------
async def create_draft(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    text: str,
    visible_length: int,
    media_file_id: str | None,
    media_type: str | None,
    now: datetime,
) -> Draft:
    """A draft from what the author sent; lengths are Telegram's (visible characters)."""
    require(actor, Permission.BROADCAST)
    if media_type is not None and media_type not in MEDIA_TYPES:
        raise InvalidInput("broadcast.unsupported")
    if not text.strip() and media_file_id is None:
        raise InvalidInput("broadcast.empty")
    if media_file_id is not None and visible_length > TELEGRAM_CAPTION_LIMIT:
        raise InvalidInput(
            "broadcast.caption_too_long", length=visible_length, max=TELEGRAM_CAPTION_LIMIT
        )
    if visible_length > TELEGRAM_TEXT_LIMIT:
        raise InvalidInput("broadcast.too_long", length=visible_length, max=TELEGRAM_TEXT_LIMIT)
    async with sessionmaker.begin() as session:
        draft = Broadcast(
            author_id=actor.person_id,
            text=text,
            media_file_id=media_file_id,
            media_type=media_type if media_file_id else None,
            status=BroadcastStatus.DRAFT,
            created_at=now,
        )
        session.add(draft)
        await session.flush()
        return _draft_view(draft, 0)


def audience_options(actor: Actor) -> list[AudienceOption]:
    """The audience kinds this person may use (leads: only team-scoped ones)."""
    require(actor, Permission.BROADCAST)
    return [
        AudienceOption(spec.kind, spec.label_key, spec.choices is not None)
        for spec in AUDIENCES.values()
        if not is_team_scoped(actor) or spec.team_scoped
    ]


async def offered_audiences(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor
) -> list[AudienceOption]:
    """The audience kinds to offer: a chat audience only when it has something to choose
    (a team's group chat only where a team has linked one)."""
    options = audience_options(actor)
    chat_kinds = [o for o in options if AUDIENCES[o.kind].chats]
    if not chat_kinds:
        return options
    empty = {
        o.kind for o in chat_kinds if not await audience_choices(sessionmaker, actor, o.kind)
    }
    return [o for o in options if o.kind not in empty]


def _spec(actor: Actor, kind: str) -> AudienceKind:
    spec = AUDIENCES.get(kind)
    if spec is None:
        raise NotFound("broadcast.unknown_audience")
    if is_team_scoped(actor) and not spec.team_scoped:
        raise NotAllowed(permission=Permission.BROADCAST.value)
    return spec


async def audience_choices(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, kind: str
) -> list[tuple[str, str]]:
    require(actor, Permission.BROADCAST)
    spec = _spec(actor, kind)
    if spec.choices is None:
        return []
    async with sessionmaker() as session:
        return await spec.choices(session, actor)


async def _check_audience(
    session: AsyncSession, actor: Actor, key: str
) -> tuple[AudienceKind, str]:
    """The audience spec and the chosen option's label; refuses what this actor may not use."""
    kind, _, arg = key.partition(":")
    spec = _spec(actor, kind)
    if spec.team_scoped:
        if not arg.isdigit():
            raise InvalidInput("broadcast.unknown_audience")
        require(actor, Permission.BROADCAST, int(arg))
    if spec.choices is None:
        return spec, ""
    options = dict(await spec.choices(session, actor))
    if arg not in options:
        raise InvalidInput("broadcast.unknown_audience")
    return spec, options[arg]


async def _own_draft(session: AsyncSession, actor: Actor, broadcast_id: int) -> Broadcast:
    draft = await session.get(Broadcast, broadcast_id)
    if draft is None or draft.author_id != actor.person_id:
        raise NotFound("broadcast.not_found")
    return draft


async def choose_audience(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, broadcast_id: int, key: str
) -> Draft:
    """Stores the audience on the draft and counts exactly who would receive it now."""
    require(actor, Permission.BROADCAST)
    async with sessionmaker.begin() as session:
        draft = await _own_draft(session, actor, broadcast_id)
        if draft.status != BroadcastStatus.DRAFT:
            raise Conflict("broadcast.not_draft")
        _, name = await _check_audience(session, actor, key)
        stmt = await targets(session, key)
        count = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        draft.audience = key
        draft.audience_label = name[:200]
        return _draft_view(draft, count)


def _quiet_until(quiet: QuietHours, at: datetime, tz: str) -> datetime | None:
    try:
        return quiet.deferred_until(at, tz)
    except (ValueError, OSError):  # a zone name the database should never have held
        return None


async def quiet_outlook(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    broadcast_id: int,
    *,
    at: datetime,
    quiet: QuietHours,
    default_timezone: str,
) -> QuietOutlook:
    """How many of the draft's recipients are in their own quiet hours at `at`."""
    require(actor, Permission.BROADCAST)
    async with sessionmaker() as session:
        draft = await _own_draft(session, actor, broadcast_id)
        if draft.audience is None:
            raise Conflict("broadcast.no_audience")
        await _check_audience(session, actor, draft.audience)
        chats = (await targets(session, draft.audience)).subquery()
        by_zone = select(chats.c.timezone, func.count()).group_by(chats.c.timezone)
        total = held = 0
        first: datetime | None = None
        for zone, count in (await session.execute(by_zone)).all():
            total += int(count)
            until = _quiet_until(quiet, at, zone or default_timezone)
            if until is not None:
                held += int(count)
                first = until if first is None else min(first, until)
        return QuietOutlook(total, held, first)


async def confirm(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    broadcast_id: int,
    *,
    now: datetime,
    progress_chat_id: int,
    progress_message_id: int | None,
    scheduled_at: datetime | None = None,
    hold: QuietHold | None = None,
) -> Confirmed:
    """Send now or at `scheduled_at`: one outbox row per recipient, in one transaction.

    The coordinator's moment is honoured (urgent rows) unless they chose `hold`: then a
    recipient inside their quiet hours gets it when those end."""
    require(actor, Permission.BROADCAST)
    if scheduled_at is not None and scheduled_at <= now:
        raise InvalidInput("broadcast.schedule_past")
    async with sessionmaker.begin() as session:
        draft = await _own_draft(session, actor, broadcast_id)
        if draft.audience is None:
            raise Conflict("broadcast.no_audience")
        await _check_audience(session, actor, draft.audience)
        status = BroadcastStatus.SCHEDULED if scheduled_at else BroadcastStatus.SENDING
        # The guard against double presses and press-after-cancel: only a draft moves on.
        moved = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.DRAFT)
            .values(
                status=status,
                scheduled_at=scheduled_at,
                started_at=None if scheduled_at else now,
                progress_chat_id=progress_chat_id,
                progress_message_id=None if scheduled_at else progress_message_id,
            )
            .execution_options(synchronize_session=False)
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            raise Conflict("broadcast.not_draft")
        people = (await session.execute(await targets(session, draft.audience))).all()
        if not people:
            raise InvalidInput("broadcast.nobody")  # rolls the status change back too
        due = scheduled_at or now

        def due_for(zone: str | None) -> datetime:
            if hold is None:
                return due
            return _quiet_until(hold.quiet, due, zone or hold.default_timezone) or due

        dues = [due_for(zone) for _, _, zone in people]
        later = [d for d in dues if d > due]
        total = await enqueue(
            session,
            (
                NewMessage(
                    kind=KIND_MESSAGE,
                    chat_id=telegram_id,
                    person_id=person_id,
                    # A group chat has no person: its key is the chat's.
                    dedup_key=f"broadcast:{broadcast_id}:{person_id or f'c{telegram_id}'}",
                    due_at=due_at,
                    params={"id": broadcast_id},
                    cause=cause_of(broadcast_id),
                    priority=PRIORITY_BULK,
                    urgent=hold is None,
                    broadcast_id=broadcast_id,
                )
                for (person_id, telegram_id, _), due_at in zip(people, dues, strict=True)
            ),
        )
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(total=total)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            session,
            action="broadcast.schedule" if scheduled_at else "broadcast.send",
            actor_id=actor.person_id,
            actor_telegram_id=actor.telegram_id,
            target_type="broadcast",
            target_id=broadcast_id,
            audience=draft.audience,
            recipients=total,
        )
        held = Held(len(later), min(later)) if later else Held()
        return Confirmed(broadcast_id, status, total, scheduled_at, held)


async def cancel(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, broadcast_id: int
) -> int:
    """Cancels a draft, a scheduled or a running broadcast; returns messages withdrawn."""
    require(actor, Permission.BROADCAST)
    async with sessionmaker.begin() as session:
        draft = await _own_draft(session, actor, broadcast_id)
        moved = await session.execute(
            update(Broadcast)
            .where(
                Broadcast.id == draft.id,
                Broadcast.status.in_(
                    [BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING]
                ),
            )
            .values(status=BroadcastStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            raise Conflict("broadcast.not_cancellable")
        withdrawn = await cancel_cause(session, cause_of(broadcast_id))
        audit.record(
            session,
            action="broadcast.cancel",
            actor_id=actor.person_id,
            actor_telegram_id=actor.telegram_id,
            target_type="broadcast",
            target_id=broadcast_id,
            withdrawn=withdrawn,
        )
        return withdrawn


async def draft_view(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, broadcast_id: int
) -> Draft:
    async with sessionmaker() as session:
        return _draft_view(await _own_draft(session, actor, broadcast_id), 0)


def _draft_view(b: Broadcast, count: int) -> Draft:
    kind = (b.audience or "").partition(":")[0]
    spec = AUDIENCES.get(kind)
    return Draft(
        b.id,
        b.status,
        b.text,
        b.media_type,
        b.audience,
        spec.label_key if spec else None,
        b.audience_label or "",
        count,
    )


# ---- following up ------------------------------------------------------------------------
def _visible_to(actor: Actor) -> object:
    # Coordinators see every broadcast; a lead sees their own.
    return Broadcast.author_id == actor.person_id if is_team_scoped(actor) else True


async def recent(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    limit: int = RECENT_LIMIT,
    *,
    now: datetime | None = None,
) -> list[Summary]:
    """The latest broadcasts; with `now`, how many of a running one's messages are held."""
    require(actor, Permission.BROADCAST)
    async with sessionmaker() as session:
        query = (
            select(Broadcast)
            .where(Broadcast.status != BroadcastStatus.DRAFT, _visible_to(actor))  # type: ignore[arg-type]
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
        rows = (await session.scalars(query)).all()
        live = [b.id for b in rows if b.status == BroadcastStatus.SENDING]
        held = await _held(session, live, now) if now is not None else {}
        return [_summary(b, held.get(b.id, Held())) for b in rows]


def _summary(b: Broadcast, held: Held) -> Summary:
    return Summary(
        b.id,
        b.status,
        _draft_view(b, 0).audience_label_key,
        b.audience_label or "",
        b.total,
        b.sent_count,
        b.failed_count,
        b.blocked_count,
        b.created_at,
        b.scheduled_at,
        excerpt(b),
        held,
    )


def excerpt(b: Broadcast, limit: int = 60) -> str:
    """The start of the broadcast as plain text (the one HTML-to-plain path)."""
    plain = to_plain(b.text).replace("\n", " ").strip()
    return truncate(plain or f"[{b.media_type}]", limit)


async def failures(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    broadcast_id: int,
    offset: int = 0,
    limit: int = FAILURES_PAGE,
) -> FailurePage:
    """Who the broadcast failed for (blocked, rejected, gave up), a page at a time."""
    require(actor, Permission.BROADCAST)
    async with sessionmaker() as session:
        b = await session.get(Broadcast, broadcast_id)
        if b is None or (is_team_scoped(actor) and b.author_id != actor.person_id):
            raise NotFound("broadcast.not_found")
        where = (
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == OutboxStatus.FAILED,
        )
        total = await session.scalar(select(func.count(OutboxMessage.id)).where(*where)) or 0
        rows = (
            await session.execute(
                select(Person, OutboxMessage.last_error, OutboxMessage.chat_id)
                .select_from(OutboxMessage)
                .outerjoin(Person, Person.id == OutboxMessage.person_id)
                .where(*where)
                .order_by(OutboxMessage.id)
                .offset(offset)
                .limit(limit)
            )
        ).all()
        lines = [
            FailureLine(
                person.display_name if person else f"#{chat_id}", (error or "")[:120]
            )
            for person, error, chat_id in rows
        ]
        return FailurePage(broadcast_id, lines, offset, total)


# ---- dispatcher side -----------------------------------------------------------------------
async def advance(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, *, rate: float
) -> list[ProgressView]:
    """Starts due scheduled broadcasts, refreshes counts of running ones, finishes them."""
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Broadcast)
            .where(
                Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at <= now
            )
            .values(status=BroadcastStatus.SENDING, started_at=now)
            .execution_options(synchronize_session=False)
        )
        live = (
            await session.execute(
                select(Broadcast, Person)
                .outerjoin(Person, Person.id == Broadcast.author_id)
                .where(Broadcast.status == BroadcastStatus.SENDING)
            )
        ).all()
        if not live:
            return []
        blocked = case((OutboxMessage.last_error.like(f"{BLOCKED_PREFIX}%"), 1), else_=0)
        counted = await session.execute(
            select(OutboxMessage.broadcast_id, OutboxMessage.status, blocked, func.count())
            .where(OutboxMessage.broadcast_id.in_([b.id for b, _ in live]))
            .group_by(OutboxMessage.broadcast_id, OutboxMessage.status, blocked)
        )
        held = await _held(session, [b.id for b, _ in live], now)
        tallies: dict[int, dict[str, int]] = {}
        for broadcast_id, status, is_blocked, count in counted.all():
            key = "blocked" if status == OutboxStatus.FAILED and is_blocked else str(status)
            tally = tallies.setdefault(int(broadcast_id), {})
            tally[key] = tally.get(key, 0) + int(count)
        views: list[ProgressView] = []
        for b, author in live:
            tally = tallies.get(b.id, {})
            b.sent_count = tally.get(OutboxStatus.SENT.value, 0)
            # failed_count includes the blocked ones; the report shows them apart.
            b.blocked_count = tally.get("blocked", 0)
            b.failed_count = tally.get(OutboxStatus.FAILED.value, 0) + b.blocked_count
            b.skipped_count = tally.get(OutboxStatus.SKIPPED.value, 0)
            remaining = tally.get(OutboxStatus.PENDING.value, 0) + tally.get(
                OutboxStatus.SENDING.value, 0
            )
            done = remaining == 0
            waiting = held.get(b.id, Held())
            remaining -= waiting.count  # now or soon; the held ones have their own line
            if done:
                b.status = BroadcastStatus.DONE
                b.finished_at = now
                if b.progress_chat_id is not None:
                    await enqueue(
                        session,
                        [
                            NewMessage(
                                kind=KIND_REPORT,
                                chat_id=b.progress_chat_id,
                                person_id=b.author_id,
                                dedup_key=f"broadcast:{b.id}:report",
                                due_at=now,
                                params={"id": b.id},
                                priority=PRIORITY_INTERACTIVE,
                                urgent=True,
                            )
                        ],
                    )
            if b.progress_chat_id is None:
                continue
            views.append(
                ProgressView(
                    b.id,
                    b.progress_chat_id,
                    b.progress_message_id,
                    author.language if author else None,
                    author.timezone if author else None,
                    b.total,
                    b.sent_count,
                    b.failed_count,
                    b.blocked_count,
                    b.skipped_count,
                    remaining,
                    math.ceil(remaining / rate) if rate > 0 else 0,
                    done,
                    as_of=now,
                    held=waiting,
                )
            )
        return views


async def _held(session: AsyncSession, broadcast_ids: list[int], now: datetime) -> dict[int, Held]:
    """Messages of these broadcasts waiting for their recipients' quiet hours to end."""
    if not broadcast_ids:
        return {}
    rows = await session.execute(
        select(OutboxMessage.broadcast_id, func.count(), func.min(OutboxMessage.due_at))
        .where(
            OutboxMessage.broadcast_id.in_(broadcast_ids),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.due_at > now,
        )
        .group_by(OutboxMessage.broadcast_id)
    )
    return {int(bid or 0): Held(int(count), until) for bid, count, until in rows.all()}


async def held_now(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime
) -> Held:
    """Broadcast messages this person can see that wait for their recipients' mornings."""
    if not actor_can_broadcast(actor):
        return Held()
    async with sessionmaker() as session:
        row = (
            await session.execute(
                select(func.count(), func.min(OutboxMessage.due_at))
                .select_from(OutboxMessage)
                .join(Broadcast, Broadcast.id == OutboxMessage.broadcast_id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.due_at > now,
                    Broadcast.status == BroadcastStatus.SENDING,
                    _visible_to(actor),  # type: ignore[arg-type]
                )
            )
        ).one()
        return Held(int(row[0] or 0), row[1])


def actor_can_broadcast(actor: Actor) -> bool:
    try:
        require(actor, Permission.BROADCAST)
    except NotAllowed:
        return False
    return True


async def set_progress_message(
    sessionmaker: async_sessionmaker[AsyncSession], broadcast_id: int, message_id: int
) -> None:
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(progress_message_id=message_id)
            .execution_options(synchronize_session=False)
        )


def reader_for_author(audience: Audience, view: ProgressView) -> Reader:
    """The author's reader, at the dispatcher's clock (never the wall clock)."""
    return Reader(
        audience.i18n,
        view.language or audience.language,
        view.timezone or audience.timezone,
        audience.currency,
        view.as_of,
    )


def eta_text(reader: Reader, seconds: int) -> str:
    if seconds < 90:
        return reader.t("broadcast.eta_seconds", n=seconds)
    return reader.t("broadcast.eta_minutes", n=math.ceil(seconds / 60))


def progress_text(audience: Audience, view: ProgressView) -> str:
    reader = reader_for_author(audience, view)
    if view.done:
        return reader.t(
            "broadcast.progress_done",
            id=view.id,
            sent=reader.number(view.sent),
            failed=reader.number(view.failed - view.blocked),
            blocked=reader.number(view.blocked),
            total=reader.number(view.total),
        )
    return reader.t(
        "broadcast.progress",
        id=view.id,
        sent=reader.number(view.sent),
        failed=reader.number(view.failed + view.blocked),
        remaining=reader.number(view.remaining),
        total=reader.number(view.total),
        eta=eta_text(reader, view.eta_seconds),
        held=held_text(reader, view.held),
    )


def held_text(reader: Reader, held: Held) -> Html | str:
    """'🌙 Held until 07:00: 12' on its own line, or nothing."""
    if not held.count or held.until is None:
        return ""
    count = reader.number(held.count)
    line = reader.t("broadcast.held_line", until=reader.when(held.until), n=count)
    return Html("\n" + line)


def progress_keyboard(audience: Audience, view: ProgressView) -> list[list[Button]] | None:
    """Stop while it runs; nothing once it is done."""
    if view.done:
        return None
    reader = reader_for_author(audience, view)
    return [[Button(reader.t("broadcast.button_stop"), f"{CALLBACK_PREFIX}:x:{view.id}")]]


def progress_outgoing(audience: Audience, view: ProgressView, text: str) -> Outgoing:
    return Outgoing(text=text, keyboard=progress_keyboard(audience, view) or ())


# ---- renderers -------------------------------------------------------------------------------
@renderer(KIND_MESSAGE)
async def render_message(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    # session.get hits the identity map after the first row of a batch: one read per batch.
    b = await session.get(Broadcast, int(param(row, "id", row.broadcast_id or 0)))
    if b is None or b.status == BroadcastStatus.CANCELLED:
        return None
    if b.media_type == "photo":
        return Outgoing(text=b.text, photo=b.media_file_id)
    if b.media_type == "document":
        return Outgoing(text=b.text, document=b.media_file_id)
    return Outgoing(text=b.text)


@renderer(KIND_REPORT)
async def render_report(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    b = await session.get(Broadcast, int(param(row, "id", 0)))
    if b is None:
        return None
    text = reader.t(
        "broadcast.report",
        id=b.id,
        total=reader.number(b.total),
        delivered=reader.number(b.sent_count),
        blocked=reader.number(b.blocked_count),
        failed=reader.number(b.failed_count - b.blocked_count),
        skipped=reader.number(b.skipped_count),
    )
    keyboard: list[list[Button]] = []
    if b.failed_count:
        keyboard.append(
            [Button(reader.t("broadcast.button_failures"), f"{CALLBACK_PREFIX}:fail:{b.id}:0")]
        )
    return Outgoing(text=text, keyboard=keyboard)
