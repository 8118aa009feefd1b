"""Composing a broadcast: the draft, its audience, the quiet-hours outlook, confirm, cancel.

Quiet hours never hide a coordinator's action: a broadcast sent now or at a chosen time
goes out then (its rows are urgent).  When some recipients are in their quiet hours at
that moment, the caller shows it first (`quiet_outlook`) and the coordinator may hold
those messages (`QuietHold`): each is then due at the end of its recipient's quiet hours.

Rules that races would break live in the database: Confirm is a conditional
`UPDATE ... WHERE status = 'draft'` in the same transaction as the outbox inserts, so a
double press or a press after Cancel sends once or not at all.  Leads may only target a
team they lead (re-checked here, not only by which buttons they saw).  Partners and media
are excluded by `catalog.recipients` from every audience not meant for them.
Each use case is one transaction and returns plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import kinds
from bot.delivery.broadcasts import Held
from bot.delivery.message import CAPTION_LIMIT, TEXT_LIMIT
from bot.delivery.outbox import enqueue, withdraw
from bot.delivery.quiet import QuietHours
from bot.errors import Conflict, InvalidInput, NotFound
from bot.services import audit
from bot.services.audiences import AudienceKind
from bot.services.authz import Permission, is_team_scoped, refusal, require
from bot.services.broadcasts.catalog import AUDIENCES, targets
from bot.services.people.members import Actor
from models import Broadcast, BroadcastStatus

MEDIA_TYPES = ("photo", "document")


@dataclass(frozen=True, slots=True)
class AudienceOption:
    kind: str
    has_choices: bool


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    status: BroadcastStatus
    text: str
    media_type: str | None
    audience: str | None  # "kind" or "kind:arg"
    audience_name: str  # the chosen option's label (plain text), "" for none
    count: int = 0


@dataclass(frozen=True, slots=True)
class Confirmed:
    id: int
    status: BroadcastStatus
    total: int
    scheduled_at: datetime | None
    # Messages waiting for their recipients' quiet hours to end.
    held: Held = field(default_factory=Held)


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
    if media_file_id is not None and visible_length > CAPTION_LIMIT:
        raise InvalidInput(
            "broadcast.caption_too_long", length=visible_length, max=CAPTION_LIMIT
        )
    if visible_length > TEXT_LIMIT:
        raise InvalidInput("broadcast.too_long", length=visible_length, max=TEXT_LIMIT)
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
        AudienceOption(spec.kind, spec.choices is not None)
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
        raise refusal(actor, Permission.BROADCAST, None)  # the whole campaign's audience
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
                kinds.BROADCAST_MESSAGE.message(
                    chat_id=telegram_id,
                    person_id=person_id,
                    due_at=due_at,
                    params={"id": broadcast_id},
                    urgent=hold is None,
                    broadcast_id=broadcast_id,
                    # A group chat has no person: its key is the chat's.
                    recipient=person_id or f"c{telegram_id}",
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
        withdrawn = await withdraw(session, kinds.broadcast_cause(broadcast_id))
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
    return Draft(b.id, b.status, b.text, b.media_type, b.audience, b.audience_label or "", count)
