"""Small, explicit campaigns for the progress tests: every asserted number is visible here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people.members import Actor, TeamRef
from models import (
    Event,
    EventRsvp,
    Membership,
    Person,
    Role,
    RsvpStatus,
    Shift,
    ShiftSignup,
    Task,
    TaskClaim,
    TaskClaimStatus,
    TaskOutcome,
    Team,
)


def actor(person: Person, role: Role, teams: tuple[TeamRef, ...] = (), lang: str = "en") -> Actor:
    return Actor(person.id, person.telegram_id, person.display_name, None, role, lang, True,
                 None, True, teams)


@dataclass
class Campaign:
    admin: Person
    lead: Person
    jaksel: Team
    bekasi: Team
    people: list[Person]
    event: Event
    task_done: Task
    now: datetime


async def build_campaign(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> Campaign:
    """Two teams; 6 volunteers in Jaksel (1 new, 1 unreachable), 2 in Bekasi; shifts, tasks,
    an upcoming event with RSVPs and a past one with a check-in and a no-show."""
    async with sessionmaker.begin() as session:
        jaksel = Team(name="Jaksel", name_key="jaksel")
        bekasi = Team(name="Bekasi", name_key="bekasi")
        admin = Person(telegram_id=1, first_name="Admin", role=Role.ADMIN,
                       joined_at=now - timedelta(days=60), last_seen_at=now)
        lead = Person(telegram_id=2, first_name="Lia", role=Role.LEAD,
                      joined_at=now - timedelta(days=50), last_seen_at=now - timedelta(days=1))
        session.add_all([jaksel, bekasi, admin, lead])
        await session.flush()
        people: list[Person] = []
        for i in range(8):
            person = Person(
                telegram_id=100 + i, first_name=f"Vol{i}", role=Role.VOLUNTEER,
                joined_at=now - timedelta(days=2 if i == 0 else 40),
                last_seen_at=now - timedelta(days=3 if i < 4 else 30),
                reachable=i != 5,
                unreachable_since=now - timedelta(hours=5) if i == 5 else None,
            )
            people.append(person)
        session.add_all(people)
        await session.flush()
        session.add(Membership(person_id=lead.id, team_id=jaksel.id, is_lead=True))
        for i, person in enumerate(people):
            team = jaksel if i < 6 else bekasi
            session.add(Membership(person_id=person.id, team_id=team.id))
        # Next 7 days: Jaksel shift in 24 h, 1 of 4 places; Bekasi shift in 5 days, full (2/2).
        soon = Shift(title="Posko pagi", team_id=jaksel.id, starts_at=now + timedelta(hours=24),
                     ends_at=now + timedelta(hours=27), capacity=4, taken=1)
        later = Shift(title="Bekasi sore", team_id=bekasi.id,
                      starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=2),
                      capacity=2, taken=2)
        # A past Jaksel shift of 3 h with 2 people, both checked in: 6 volunteer hours.
        past = Shift(title="Kemarin", team_id=jaksel.id, starts_at=now - timedelta(days=2),
                     ends_at=now - timedelta(days=2) + timedelta(hours=3), capacity=5, taken=2)
        session.add_all([soon, later, past])
        await session.flush()
        session.add_all([
            ShiftSignup(shift_id=soon.id, person_id=people[0].id),
            ShiftSignup(shift_id=later.id, person_id=people[6].id),
            ShiftSignup(shift_id=later.id, person_id=people[7].id),
            ShiftSignup(shift_id=past.id, person_id=people[1].id,
                        checked_in_at=past.starts_at, checked_in_by_id=people[1].id),
            ShiftSignup(shift_id=past.id, person_id=people[2].id,
                        checked_in_at=past.starts_at, checked_in_by_id=lead.id),
        ])
        # Tasks: one open (nobody), one claimed and overdue, one done with "40 pintu".
        open_task = Task(title="Sebar brosur", team_id=jaksel.id,
                         deadline=now + timedelta(days=3), capacity=1, taken=0)
        overdue = Task(title="Pasang spanduk", team_id=jaksel.id,
                       deadline=now - timedelta(hours=3), capacity=1, taken=1)
        done = Task(title="Ketuk pintu", team_id=jaksel.id, deadline=now + timedelta(days=1),
                    capacity=1, taken=1)
        session.add_all([open_task, overdue, done])
        await session.flush()
        session.add(TaskClaim(task_id=overdue.id, person_id=people[3].id,
                              claimed_at=now - timedelta(days=2)))
        claim = TaskClaim(task_id=done.id, person_id=people[1].id, status=TaskClaimStatus.DONE,
                          claimed_at=now - timedelta(days=1), done_at=now - timedelta(hours=2))
        session.add(claim)
        await session.flush()
        session.add(TaskOutcome(task_id=done.id, claim_id=claim.id, person_id=people[1].id,
                                team_id=jaksel.id, quantity=40, unit="pintu",
                                recorded_at=now - timedelta(hours=2)))
        event = Event(title="Rapat akbar", starts_at=now + timedelta(hours=30),
                      ends_at=now + timedelta(hours=33), team_id=jaksel.id,
                      checkin_token="tok-upcoming", going_count=3)
        past_event = Event(title="Kopdar", starts_at=now - timedelta(days=3),
                           ends_at=now - timedelta(days=3) + timedelta(hours=2),
                           team_id=jaksel.id, checkin_token="tok-past", going_count=2)
        session.add_all([event, past_event])
        await session.flush()
        session.add_all([
            EventRsvp(event_id=event.id, person_id=people[0].id, status=RsvpStatus.GOING,
                      confirmed_at=now - timedelta(hours=1)),
            EventRsvp(event_id=event.id, person_id=people[1].id, status=RsvpStatus.GOING),
            EventRsvp(event_id=event.id, person_id=people[2].id, status=RsvpStatus.GOING),
            EventRsvp(event_id=past_event.id, person_id=people[4].id, status=RsvpStatus.GOING,
                      checked_in_at=past_event.starts_at + timedelta(minutes=5)),
            EventRsvp(event_id=past_event.id, person_id=people[3].id, status=RsvpStatus.GOING,
                      no_show=True),
        ])
        return Campaign(admin, lead, jaksel, bekasi, people, event, done, now)
