"""What counts as showing up, in one place: volunteer hours, shifts done and reliability.

Why one module: /me, goals, /report, the digests' milestones and the event roster
all answer "did this person come?"; defined once here they cannot drift apart.

- A shift is *done* by a person when their signup was checked in (by themselves
  or a lead) and the shift, not cancelled, has ended.  Volunteer hours are the
  summed lengths of done shifts.
- Reliability = attended ÷ (attended + no-shows), over events (checked in /
  marked no-show by the events sweep) and shifts (checked in / marked no-show by
  the shifts sweep) together.  None before anything was judged.

How it reads (the /me line) is `bot.views.people.reliability_line`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import EventRsvp, Shift, ShiftSignup, ShiftStatus


@dataclass(frozen=True, slots=True)
class Reliability:
    attended: int
    no_shows: int

    @property
    def total(self) -> int:
        return self.attended + self.no_shows

    @property
    def score(self) -> float | None:
        return self.attended / self.total if self.total else None


def shift_done(now: datetime) -> ColumnElement[bool]:
    """WHERE for signups that count as worked (join `Shift` on `ShiftSignup.shift_id`)."""
    return and_(
        ShiftSignup.checked_in_at.is_not(None),
        Shift.status == ShiftStatus.OPEN,
        Shift.ends_at <= now,
    )


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def reliability_of(session: AsyncSession, person_ids: list[int]) -> dict[int, Reliability]:
    """Reliability of each person, events and shifts together (zero counts when unjudged)."""
    if not person_ids:
        return {}
    events = await session.execute(
        select(
            EventRsvp.person_id,
            _count_if(EventRsvp.checked_in_at.is_not(None)),
            _count_if(EventRsvp.no_show.is_(True)),
        )
        .where(EventRsvp.person_id.in_(person_ids))
        .group_by(EventRsvp.person_id)
    )
    # A check-in on a shift that is still running already counts as having come.
    shifts = await session.execute(
        select(
            ShiftSignup.person_id,
            _count_if(ShiftSignup.checked_in_at.is_not(None)),
            _count_if(ShiftSignup.no_show.is_(True)),
        )
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.person_id.in_(person_ids), Shift.status == ShiftStatus.OPEN)
        .group_by(ShiftSignup.person_id)
    )
    counts: dict[int, list[int]] = {pid: [0, 0] for pid in person_ids}
    for pid, attended, no_shows in [*events.all(), *shifts.all()]:
        counts[int(pid)][0] += int(attended or 0)
        counts[int(pid)][1] += int(no_shows or 0)
    return {pid: Reliability(a, n) for pid, (a, n) in counts.items()}
