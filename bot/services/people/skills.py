"""Skills: the coordinators' list, each person's own picks, and the "people with skill X" audience.

Shifts and tasks may require a skill; eligibility checks and the broadcast
audience both read `person_skill`, so a person's picks matter everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, InvalidInput, NotFound
from bot.services import audit
from bot.services.audiences import AudienceKind
from bot.services.authz import Permission, require
from bot.services.people.members import Actor
from models import PersonSkill, Skill

MAX_SKILL_NAME = 48


@dataclass(frozen=True, slots=True)
class SkillView:
    id: int
    name: str
    mine: bool = False
    people: int = 0


def skill_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def clean_skill_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("skills.usage")
    if len(cleaned) > MAX_SKILL_NAME:
        raise InvalidInput("skills.name_too_long", max=MAX_SKILL_NAME)
    return cleaned


async def find_skill(session: AsyncSession, ref: str) -> Skill:
    """A skill by id or name (case and spacing ignored)."""
    ref = ref.strip()
    skill = await session.get(Skill, int(ref)) if ref.isdigit() and len(ref) < 18 else None
    if skill is None:
        skill = await session.scalar(select(Skill).where(Skill.name_key == skill_key(ref)))
    if skill is None:
        raise NotFound("skills.not_found", name=ref)
    return skill


async def person_skill_ids(session: AsyncSession, person_id: int) -> set[int]:
    rows = await session.scalars(
        select(PersonSkill.skill_id).where(PersonSkill.person_id == person_id)
    )
    return set(rows)


async def add_skill(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, name: str
) -> SkillView:
    require(actor, Permission.MANAGE_SKILLS)
    cleaned = clean_skill_name(name)
    try:
        async with sessionmaker.begin() as session:
            skill = Skill(name=cleaned, name_key=skill_key(cleaned))
            session.add(skill)
            await session.flush()
            audit.record(
                session,
                action="skill.add",
                actor_id=actor.person_id,
                target_type="skill",
                target_id=skill.id,
                name=cleaned,
            )
            return SkillView(skill.id, skill.name)
    except IntegrityError:
        raise Conflict("skills.exists", name=cleaned) from None


async def remove_skill(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, ref: str
) -> str:
    require(actor, Permission.MANAGE_SKILLS)
    async with sessionmaker.begin() as session:
        skill = await find_skill(session, ref)
        name = skill.name
        audit.record(
            session,
            action="skill.remove",
            actor_id=actor.person_id,
            target_type="skill",
            target_id=skill.id,
            name=name,
        )
        await session.delete(skill)
        return name


async def list_skills(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor
) -> list[SkillView]:
    """Every skill, marked with whether it is the actor's, and how many people have it."""
    async with sessionmaker() as session:
        mine = await person_skill_ids(session, actor.person_id)
        counts = (
            select(PersonSkill.skill_id, func.count().label("n"))
            .group_by(PersonSkill.skill_id)
            .subquery()
        )
        rows = await session.execute(
            select(Skill.id, Skill.name, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.skill_id == Skill.id)
            .order_by(Skill.name_key)
        )
        return [SkillView(i, n, i in mine, int(c)) for i, n, c in rows.all()]


async def toggle_skill(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, skill_id: int
) -> bool:
    """Adds the skill to the actor's picks, or removes it; returns whether they now have it."""
    async with sessionmaker.begin() as session:
        if await session.get(Skill, skill_id) is None:
            raise NotFound("skills.gone")
        removed = await session.execute(
            delete(PersonSkill).where(
                PersonSkill.person_id == actor.person_id, PersonSkill.skill_id == skill_id
            )
        )
        if removed.rowcount:  # type: ignore[attr-defined]
            return False
        session.add(PersonSkill(person_id=actor.person_id, skill_id=skill_id))
        return True


async def _skill_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    rows = await session.execute(select(Skill.id, Skill.name).order_by(Skill.name_key))
    return [(str(i), n) for i, n in rows.all()]


async def people_with_skill(session: AsyncSession, arg: str | None) -> Select[int]:
    """People who picked skill `arg` (its id)."""
    skill_id = int(arg) if arg and arg.isdigit() else 0
    return select(PersonSkill.person_id).where(PersonSkill.skill_id == skill_id)


SKILL_AUDIENCES: tuple[AudienceKind, ...] = (
    AudienceKind("skill", people_with_skill, _skill_choices),
)
