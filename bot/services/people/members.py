"""People: registration on first contact, the per-update actor, language, profile."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.db import housekeeping
from bot.errors import InvalidInput, NotFound
from bot.languages import LANGUAGES, normalize_language
from bot.services.flows import Flow, open_flow
from bot.sqlite_driver import INLINE
from bot.zones import is_known_zone
from models import FlowState, Membership, Person, Role, Team
from models.people import display_name

# Touch last_seen_at at most this often: saves a write on nearly every update.
LAST_SEEN_GRANULARITY = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class TelegramUser:
    """The bits of a Telegram user we keep; built by the handler from `update.effective_user`."""

    id: int
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class TeamRef:
    id: int
    name: str
    is_lead: bool


@dataclass(frozen=True, slots=True)
class Actor:
    """A plain snapshot of the person behind an update; safe to hold after the session."""

    person_id: int
    telegram_id: int
    display_name: str
    username: str | None
    role: Role
    language: str
    language_chosen: bool
    timezone: str | None
    reachable: bool
    teams: tuple[TeamRef, ...]
    created: bool = False

    @property
    def team_ids(self) -> frozenset[int]:
        return frozenset(t.id for t in self.teams)

    @property
    def lead_team_ids(self) -> frozenset[int]:
        return frozenset(t.id for t in self.teams if t.is_lead)


def language_of(person: Person, default_language: str) -> str:
    """The language to write to a person in: chosen, else Telegram's, else the campaign's.

    Interactive replies and outbox messages both use this, so nobody gets English
    answers and Indonesian reminders.
    """
    return person.language or normalize_language(person.telegram_language, default_language)


def actor_from(person: Person, default_language: str, *, created: bool = False) -> Actor:
    teams = (TeamRef(m.team.id, m.team.name, m.is_lead) for m in person.memberships)
    return _actor(person, teams, default_language, created=created)


def _actor(
    person: Any, teams: Iterable[TeamRef], default_language: str, *, created: bool = False
) -> Actor:
    """The snapshot from a `Person` or from `_VISITOR`'s row (the same attribute names)."""
    return Actor(
        person_id=person.id,
        telegram_id=person.telegram_id,
        display_name=display_name(
            person.first_name, person.last_name, person.username, person.telegram_id
        ),
        username=person.username,
        role=person.role,
        language=language_of(person, default_language),
        language_chosen=person.language is not None,
        timezone=person.timezone,
        reachable=person.reachable,
        teams=tuple(sorted(teams, key=lambda t: t.name.lower())),
        created=created,
    )


async def upsert_person(
    session: AsyncSession, user: TelegramUser, *, admin_ids: frozenset[int], now: datetime
) -> tuple[Person, bool]:
    """Find or create the person for a Telegram user, refreshing names; never commits."""
    person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
    created = person is None
    if person is None:
        person = Person(
            telegram_id=user.id,
            first_name=user.first_name[:128],
            last_name=(user.last_name or None) and user.last_name[:128],
            username=user.username,
            telegram_language=user.language_code,
            role=Role.ADMIN if user.id in admin_ids else Role.VOLUNTEER,
            joined_at=now,
            last_seen_at=now,
            memberships=[],
        )
        session.add(person)
        await session.flush()
        return person, created
    if _names_changed(person, user):
        person.first_name = user.first_name[:128]
        person.last_name = user.last_name
        person.username = user.username
    if user.language_code and person.telegram_language != user.language_code:
        person.telegram_language = user.language_code
    if user.id in admin_ids and person.role != Role.ADMIN:
        person.role = Role.ADMIN
    if not person.reachable:
        # They wrote to us, so they unblocked the bot.
        person.reachable = True
        person.unreachable_reason = None
        person.unreachable_since = None
    if now - person.last_seen_at > LAST_SEEN_GRANULARITY:
        person.last_seen_at = now
    return person, created


def _names_changed(person: Person, user: TelegramUser) -> bool:
    return (person.first_name, person.last_name, person.username) != (
        user.first_name[:128],
        user.last_name,
        user.username,
    )


def _needs_upsert(person: Person | None, user: TelegramUser, admin_ids: frozenset[int]) -> bool:
    """Whether `upsert_person` would change more than `last_seen_at` (keep the two in step)."""
    return (
        person is None
        or _names_changed(person, user)
        or bool(user.language_code and person.telegram_language != user.language_code)
        or (user.id in admin_ids and person.role != Role.ADMIN)
        or not person.reachable
    )


def _seen_long_ago(person: Person, now: datetime) -> bool:
    return now - person.last_seen_at > LAST_SEEN_GRANULARITY


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who sent an update and the multi-step input they are in (None: none open)."""

    actor: Actor
    flow: Flow | None


# Built once: an update neither rebuilds the joined SELECT nor recomputes its cache key;
# a lookup by unique key, so on SQLite it runs without a thread hop (INLINE).  Core
# columns, not ORM entities: one row per membership (or one with NULL team columns), the
# person's and the flow's columns under the names `_actor` and `open_flow` read.
# Loading a Person with its memberships and teams through the ORM made who-is-this cost
# 0.71-0.82 ms of CPU on PostgreSQL; these rows, 0.46-0.62 ms.
_VISITOR = (
    select(
        Person.id, Person.telegram_id, Person.first_name, Person.last_name, Person.username,
        Person.role, Person.language, Person.telegram_language, Person.timezone,
        Person.reachable, Person.last_seen_at,
        FlowState.flow, FlowState.step, FlowState.data, FlowState.expires_at,
        Team.id.label("team_id"), Team.name.label("team_name"), Membership.is_lead,
    )
    .select_from(Person)
    .outerjoin(FlowState, FlowState.telegram_id == Person.telegram_id)
    .outerjoin(Membership, Membership.person_id == Person.id)
    .outerjoin(Team, Team.id == Membership.team_id)
    .where(Person.telegram_id == bindparam("visitor", type_=Person.telegram_id.type))
    .execution_options(**INLINE)
)


def _visitor_rows(session: Session, telegram_id: int) -> list[Any]:
    """`_VISITOR` on the session's Core connection (sync, inside `run_sync`); rows typed
    Any: `_actor` and `open_flow` read them as they read the ORM objects."""
    return list(session.connection().execute(_VISITOR, {"visitor": telegram_id}).all())


async def load_actor(
    sessionmaker: async_sessionmaker[AsyncSession],
    user: TelegramUser,
    *,
    admin_ids: frozenset[int],
    default_language: str,
    now: datetime,
) -> Actor:
    """The person behind an update, registered on first contact (`load_visitor`'s actor)."""
    visitor = await load_visitor(
        sessionmaker, user, admin_ids=admin_ids, default_language=default_language, now=now
    )
    return visitor.actor


async def load_visitor(
    sessionmaker: async_sessionmaker[AsyncSession],
    user: TelegramUser,
    *,
    admin_ids: frozenset[int],
    default_language: str,
    now: datetime,
) -> Visitor:
    """The person behind an update (registered on first contact) and their open flow.

    One round trip on nearly every update: the person, their memberships and teams and
    their flow_state row in one joined SELECT, in a read-only session (on SQLite that
    skips the writer queue, which every button press would otherwise join).  Nothing is
    written when nothing changed: `last_seen_at` moves at most every
    `LAST_SEEN_GRANULARITY`, in one UPDATE; only a new person or changed names, language,
    admin right or reachability run `upsert_person` in a write transaction (which reads
    the row again under the write lock, so two first contacts cannot both insert).
    Nothing is cached across updates: a role changed a moment ago is read on the next.
    """
    async with sessionmaker() as session:
        rows = await session.run_sync(_visitor_rows, user.id)
    known = rows[0] if rows else None
    flow = open_flow(known if known is not None and known.expires_at is not None else None, now)
    actor = (
        None if known is None or _needs_upsert(known, user, admin_ids)
        else _actor(known, _teams(rows), default_language)
    )
    seen_long_ago = known is not None and _seen_long_ago(known, now)
    if actor is None:
        return Visitor(await _upsert(sessionmaker, user, admin_ids, default_language, now), flow)
    if seen_long_ago:
        await _touch(sessionmaker, actor.person_id, now)
    return Visitor(actor, flow)


def _teams(rows: list[Any]) -> list[TeamRef]:
    return [TeamRef(r.team_id, r.team_name, r.is_lead) for r in rows if r.team_id is not None]


async def _touch(
    sessionmaker: async_sessionmaker[AsyncSession], person_id: int, now: datetime
) -> None:
    """Marks the person seen now: one UPDATE, upkeep rather than the update's work."""
    with housekeeping():
        async with sessionmaker.begin() as session:
            await session.execute(
                update(Person)
                .where(Person.id == person_id, Person.last_seen_at < now)
                .values(last_seen_at=now)
            )


async def _upsert(
    sessionmaker: async_sessionmaker[AsyncSession],
    user: TelegramUser,
    admin_ids: frozenset[int],
    default_language: str,
    now: datetime,
) -> Actor:
    # Upkeep, not the update's work: it does not mark the update handled (bot/ops/dedup.py).
    # Two first contacts at once (a redelivered copy at another replica, on PostgreSQL) can
    # both insert: the loser's unique violation means the person exists now; read it again.
    for attempt in range(2):
        try:
            with housekeeping():
                async with sessionmaker.begin() as session:
                    person, created = await upsert_person(
                        session, user, admin_ids=admin_ids, now=now
                    )
                    return actor_from(person, default_language, created=created)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


async def set_language(
    sessionmaker: async_sessionmaker[AsyncSession], person_id: int, language: str
) -> None:
    if language not in LANGUAGES:
        raise InvalidInput("lang.unknown")
    async with sessionmaker.begin() as session:
        person = await session.get(Person, person_id)
        if person is None:
            raise NotFound()
        person.language = language


async def find_person(session: AsyncSession, ref: str) -> Person:
    """A person by `@username`, username or numeric Telegram id, as typed in a command."""
    ref = ref.strip()
    if ref.lstrip("-").isdigit():
        person = await session.scalar(select(Person).where(Person.telegram_id == int(ref)))
    else:
        name = ref.removeprefix("@").lower()
        person = await session.scalar(select(Person).where(func.lower(Person.username) == name))
    if person is None:
        raise NotFound("people.not_found", ref=ref)
    return person


async def actor_by_telegram_id(
    sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int, default_language: str
) -> Actor | None:
    """Read-only snapshot of someone else (to refresh their menu after a role change)."""
    async with sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        return actor_from(person, default_language) if person else None


async def set_timezone(
    sessionmaker: async_sessionmaker[AsyncSession], person_id: int, timezone: str | None
) -> None:
    """A person's own timezone (None: the campaign's); checked against the IANA database."""
    # Checked by name first: zoneinfo raises OSError for `Asia` (a directory) or 300 chars.
    if timezone is not None and not is_known_zone(timezone):
        raise InvalidInput("tz.unknown", tz=timezone[:64])
    async with sessionmaker.begin() as session:
        person = await session.get(Person, person_id)
        if person is None:
            raise NotFound()
        person.timezone = timezone
