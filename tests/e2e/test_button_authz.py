"""Every button re-checks the object it names, not only the presser's role.

The authorization matrix: for each button kind (every callback prefix that handlers/*.py
registers, and each action under it), someone who must not act on that object presses it
with forged data (a volunteer, a lead of another team, another coordinator where drafts are
personal, the owner when the object is in the wrong state).  They read a refusal, and the
database holds exactly what it held before (the audit log excepted: refusals are audited).

Buttons that act only on the presser themselves (`lang:`, `tz:`, `sk:`) have no foreign
object to name and are not in the matrix; their forged-data answers are covered elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from models import (
    Base,
    Broadcast,
    BroadcastStatus,
    BudgetLine,
    CoverRequest,
    Event,
    EventRsvp,
    EventStatus,
    Expense,
    ExpenseStatus,
    FeedbackResponse,
    FeedbackRound,
    FlowState,
    Membership,
    Person,
    Role,
    RsvpStatus,
    Shift,
    ShiftSignup,
    Task,
    TaskClaim,
    Team,
    WaitlistEntry,
    WaitlistStatus,
)
from sandbox import UserSpec
from tests.conftest import T0
from tests.support.harness import BotHarness, start_harness

# Tables whose rows a refused press may add or touch: the audit (refusals are recorded) and
# the operations tables (update dedup, replica heartbeats), which are not domain state.
NOT_DOMAIN = {"audit_log", "processed_update", "replica", "ops_state"}
VOLATILE = {("person", "last_seen_at")}

PEOPLE: dict[str, tuple[int, str, Role, str | None, bool]] = {
    # key: (telegram id, first name, role, team, leads it)
    "admin": (1, "Admin", Role.ADMIN, None, False),
    "cora": (10, "Cora", Role.COORDINATOR, None, False),
    "dewi": (11, "Dewi", Role.COORDINATOR, None, False),
    "lina": (20, "Lina", Role.LEAD, "A", True),
    "bima": (21, "Bima", Role.LEAD, "B", True),
    "ani": (30, "Ani", Role.VOLUNTEER, "A", False),
    "budi": (31, "Budi", Role.VOLUNTEER, "A", False),
    "citra": (32, "Citra", Role.VOLUNTEER, "B", False),
}

NOT_ALLOWED = "doesn't allow"
STALE = "no longer valid"
NOT_YOURS = "isn't yours"
OTHER_TEAM = "another team"
NO_EVENT = "no event number"
NO_BROADCAST = "broadcast was not found"


@dataclass(frozen=True)
class Case:
    id: str
    presser: str
    data: Callable[[dict[str, int]], str]
    refusal: str  # a fragment of the refusal the presser reads


CASES = [
    # ---- broadcasts (handlers/broadcast.py, bot/delivery/broadcasts.py): drafts are personal
    Case("bc:k other team's lead", "bima", lambda o: f"bc:k:{o['draft']}:team", NO_BROADCAST),
    Case("bc:k other coordinator", "dewi", lambda o: f"bc:k:{o['draft']}:team", NO_BROADCAST),
    Case("bc:k not a draft", "cora", lambda o: f"bc:k:{o['sent']}:team", STALE),
    Case("bc:k volunteer", "ani", lambda o: f"bc:k:{o['draft']}:team", NOT_ALLOWED),
    Case("bc:a other coordinator", "dewi", lambda o: f"bc:a:{o['draft']}:all:-", NO_BROADCAST),
    Case("bc:a other lead", "bima", lambda o: f"bc:a:{o['draft']}:team:{o['team_b']}",
         NO_BROADCAST),
    Case("bc:b other coordinator", "dewi", lambda o: f"bc:b:{o['draft']}", NO_BROADCAST),
    Case("bc:go other coordinator", "dewi", lambda o: f"bc:go:{o['draft']}", NO_BROADCAST),
    Case("bc:go volunteer", "ani", lambda o: f"bc:go:{o['draft']}", NOT_ALLOWED),
    Case("bc:s other coordinator", "dewi", lambda o: f"bc:s:{o['draft']}", NO_BROADCAST),
    Case("bc:x other coordinator", "dewi", lambda o: f"bc:x:{o['sent']}", NO_BROADCAST),
    Case("bc:x other lead", "bima", lambda o: f"bc:x:{o['draft']}", NO_BROADCAST),
    Case("bc:fail other lead", "bima", lambda o: f"bc:fail:{o['lead_sent']}:0", NO_BROADCAST),
    # ---- invites (handlers/people/admin.py)
    Case("inv:t other team", "bima", lambda o: f"inv:t:{o['team_a']}", STALE),
    Case("inv:r other team", "bima", lambda o: f"inv:r:{o['team_a']}:volunteer", NOT_ALLOWED),
    Case("inv:r role not offered", "lina", lambda o: f"inv:r:{o['team_a']}:coordinator", STALE),
    Case("inv:t volunteer", "ani", lambda o: f"inv:t:{o['team_a']}", NOT_ALLOWED),
    # ---- shifts (handlers/shifts/lists.py)
    Case("sh:c other team", "citra", lambda o: f"sh:c:{o['shift_a']}", OTHER_TEAM),
    Case("sh:w other team", "citra", lambda o: f"sh:w:{o['shift_a']}", OTHER_TEAM),
    Case("sh:r someone else's place", "budi", lambda o: f"sh:r:{o['signup_ani']}", NOT_YOURS),
    Case("sh:cv someone else's place", "budi", lambda o: f"sh:cv:{o['signup_ani']}", NOT_YOURS),
    Case("sh:ca other team", "citra", lambda o: f"sh:ca:{o['cover_ani']}", OTHER_TEAM),
    Case("sh:ca own cover", "ani", lambda o: f"sh:ca:{o['cover_ani']}", "already"),
    Case("sh:wa someone else's offer", "budi", lambda o: f"sh:wa:{o['offer_ani']}", NOT_YOURS),
    Case("sh:wd someone else's offer", "budi", lambda o: f"sh:wd:{o['offer_ani']}", NOT_YOURS),
    Case("sh:in someone else's place", "budi", lambda o: f"sh:in:{o['signup_ani']}", STALE),
    # ---- tasks (handlers/shifts/tasks.py)
    Case("tk:c other team", "citra", lambda o: f"tk:c:{o['task_a']}", OTHER_TEAM),
    Case("tk:r someone else's claim", "budi", lambda o: f"tk:r:{o['claim_ani']}", NOT_YOURS),
    Case("tk:d someone else's claim", "budi", lambda o: f"tk:d:{o['claim_ani']}", NOT_YOURS),
    Case("tk:d someone else's claim, mid /done", "citra",
         lambda o: f"tk:d:{o['claim_ani']}", NOT_YOURS),
    # ---- shift check-in (handlers/shifts/checkin.py)
    Case("shc:l other team", "bima", lambda o: f"shc:l:{o['shift_a']}", NOT_ALLOWED),
    Case("shc:l campaign-wide, lead", "lina", lambda o: f"shc:l:{o['shift_open']}", NOT_ALLOWED),
    Case("shc:t other team", "bima", lambda o: f"shc:t:{o['signup_ani']}:1", NOT_ALLOWED),
    Case("shc:t volunteer", "budi", lambda o: f"shc:t:{o['signup_ani']}:1", NOT_ALLOWED),
    # ---- shift creation (handlers/shifts/create.py)
    Case("shrep other team", "bima", lambda o: f"shrep:d:{o['shift_a']}", NOT_ALLOWED),
    Case("nf:t other team, in own flow", "lina", lambda o: f"nf:t:{o['team_b']}", NOT_ALLOWED),
    Case("nf:t all teams, lead", "lina", lambda o: "nf:t:0", NOT_ALLOWED),
    Case("evs:n other team", "bima", lambda o: f"evs:n:{o['event_a']}", NOT_ALLOWED),
    Case("evs:y other team", "bima", lambda o: f"evs:y:{o['event_a']}", NOT_ALLOWED),
    # ---- events (handlers/events/plan.py, handlers/events/attendance.py)
    Case("evr other team's event", "citra", lambda o: f"evr:g:{o['event_a']}", NO_EVENT),
    Case("evr other team's cancelled event", "ani", lambda o: f"evr:g:{o['event_b_gone']}",
         NO_EVENT),
    Case("evl other team's event", "citra", lambda o: f"evl:g:{o['event_a']}", NO_EVENT),
    Case("evc someone else's answer", "budi", lambda o: f"evc:n:{o['rsvp_ani']}", STALE),
    Case("evt:card other team's event", "citra", lambda o: f"evt:card:{o['event_a']}", NO_EVENT),
    Case("evt:inv lead", "bima", lambda o: f"evt:inv:{o['event_a']}", NOT_ALLOWED),
    Case("evt:inv cancelled event", "cora", lambda o: f"evt:inv:{o['event_gone']}",
         "has been cancelled"),
    Case("evt:ia lead", "bima", lambda o: f"evt:ia:{o['event_a']}:{o['team_b']}", NOT_ALLOWED),
    Case("evt:ed lead", "bima", lambda o: f"evt:ed:{o['event_a']}", NOT_ALLOWED),
    Case("evt:x lead", "bima", lambda o: f"evt:x:{o['event_a']}", NOT_ALLOWED),
    Case("evt:xx lead", "bima", lambda o: f"evt:xx:{o['event_a']}", NOT_ALLOWED),
    Case("evt:xx cancelled event", "cora", lambda o: f"evt:xx:{o['event_gone']}",
         "has been cancelled"),
    Case("evt:keep volunteer", "ani", lambda o: f"evt:keep:{o['event_a']}", NOT_ALLOWED),
    Case("evt:rn other team", "bima", lambda o: f"evt:rn:{o['event_a']}", NOT_ALLOWED),
    Case("evt:qr other team", "bima", lambda o: f"evt:qr:{o['event_a']}", NOT_ALLOWED),
    Case("evt:cil other team", "bima", lambda o: f"evt:cil:{o['event_a']}", NOT_ALLOWED),
    Case("evt:ci other team", "bima", lambda o: f"evt:ci:{o['rsvp_ani']}", NOT_ALLOWED),
    Case("evt:csv other team", "bima", lambda o: f"evt:csv:{o['event_a']}", NO_EVENT),
    Case("evt:ics other team's event", "citra", lambda o: f"evt:ics:{o['event_a']}", NO_EVENT),
    Case("evt:loc other team's event", "citra", lambda o: f"evt:loc:{o['event_a']}", NO_EVENT),
    # ---- budget (handlers/budget.py)
    Case("bcl:a volunteer", "budi", lambda o: f"bcl:a:{o['claim_exp']}", NOT_ALLOWED),
    Case("bcl:a lead", "lina", lambda o: f"bcl:a:{o['claim_exp']}", NOT_ALLOWED),
    Case("bcl:a own claim", "cora", lambda o: f"bcl:a:{o['cora_exp']}", "your own claim"),
    Case("bcl:r volunteer", "budi", lambda o: f"bcl:r:{o['claim_exp']}", NOT_ALLOWED),
    Case("bcl:p volunteer", "budi", lambda o: f"bcl:p:{o['claim_exp']}", NOT_ALLOWED),
    Case("bcl:v someone else's receipt", "budi", lambda o: f"bcl:v:{o['claim_exp']}",
         NOT_ALLOWED),
    Case("bx:c outside the flow", "budi", lambda o: f"bx:c:{o['line']}", STALE),
    Case("bx:ok outside the flow", "budi", lambda o: "bx:ok:0", STALE),
    # ---- feedback (handlers/progress/feedback.py): answers are personal, results team-scoped
    Case("fb:r someone else's answer", "budi", lambda o: f"fb:r:{o['fb_ani']}:5", STALE),
    Case("fb:n someone else's answer", "budi", lambda o: f"fb:n:{o['fb_ani']}:1", STALE),
    Case("fb:c someone else's answer", "budi", lambda o: f"fb:c:{o['fb_ani']}", STALE),
    Case("fb:v other team's results", "bima", lambda o: f"fb:v:e:{o['event_a']}", NOT_ALLOWED),
    Case("fb:p volunteer", "ani", lambda o: f"fb:p:e:{o['event_a']}:1", NOT_ALLOWED),
    # ---- progress (handlers/progress/summary.py)
    Case("sum:t other team", "lina", lambda o: f"sum:t:{o['team_b']}", NOT_ALLOWED),
    Case("sum:e other team's event", "lina", lambda o: f"sum:e:{o['event_b']}", NOT_ALLOWED),
    Case("sum:all volunteer", "ani", lambda o: "sum:all:0", NOT_ALLOWED),
    # ---- team groups and imports (handlers/reach/groups.py, handlers/reach/imports.py)
    Case("grc1 a post this chat never got", "citra", lambda o: f"grc1:{o['shift_a']}", STALE),
    Case("grg1 a post this chat never got", "ani", lambda o: f"grg1:{o['event_a']}", STALE),
    Case("imc1 volunteer", "ani", lambda o: "imc1:0123456789abcdef", NOT_ALLOWED),
    Case("imc1 lead", "lina", lambda o: "imc1:0123456789abcdef", NOT_ALLOWED),
    Case("imc1 no preview of theirs", "dewi", lambda o: "imc1:0123456789abcdef",
         "no longer current"),
    Case("imx1 volunteer", "ani", lambda o: "imx1:0123456789abcdef", NOT_ALLOWED),
    Case("imx1 no preview of theirs", "dewi", lambda o: "imx1:0123456789abcdef",
         "no longer current"),
]


async def seed(bot: BotHarness) -> dict[str, int]:
    """Two teams, their people, and one object of every kind a button can name."""
    o: dict[str, int] = {}
    day = timedelta(days=1)
    async with bot.db.begin() as session:
        teams = {k: Team(name=f"Team{k}", name_key=f"team{k.lower()}") for k in ("A", "B")}
        session.add_all(teams.values())
        await session.flush()
        o["team_a"], o["team_b"] = teams["A"].id, teams["B"].id
        people: dict[str, Person] = {}
        for key, (tid, name, role, team, lead) in PEOPLE.items():
            person = Person(
                telegram_id=tid, first_name=name, role=role, language="en",
                telegram_language="en", joined_at=T0, last_seen_at=T0, memberships=[],
            )
            session.add(person)
            await session.flush()
            if team is not None:
                session.add(Membership(person_id=person.id, team_id=teams[team].id, is_lead=lead))
            people[key] = person
            bot.sandbox.world.private_chat(UserSpec(tid, name, language_code="en"))
        pid = {k: p.id for k, p in people.items()}

        def shift(team: str | None, capacity: int, taken: int) -> Shift:
            return Shift(
                title="Door-knocking", team_id=teams[team].id if team else None, place="Pasar",
                starts_at=T0 + 2 * day, ends_at=T0 + 2 * day + timedelta(hours=3),
                capacity=capacity, taken=taken, created_at=T0, updated_at=T0,
            )

        shift_a, shift_a2, shift_open = shift("A", 3, 1), shift("A", 2, 2), shift(None, 3, 0)
        session.add_all([shift_a, shift_a2, shift_open])
        await session.flush()
        signup = ShiftSignup(shift_id=shift_a.id, person_id=pid["ani"], created_at=T0)
        session.add_all([
            signup, ShiftSignup(shift_id=shift_a2.id, person_id=pid["budi"], created_at=T0),
        ])
        await session.flush()
        cover = CoverRequest(shift_id=shift_a.id, signup_id=signup.id, requester_id=pid["ani"],
                             created_at=T0)
        offer = WaitlistEntry(shift_id=shift_a2.id, person_id=pid["ani"],
                              status=WaitlistStatus.OFFERED, created_at=T0, offered_at=T0,
                              offer_expires_at=T0 + timedelta(hours=1))
        task = Task(title="Flyers", team_id=teams["A"].id, deadline=T0 + 3 * day, capacity=2,
                    taken=1, created_at=T0)
        session.add_all([cover, offer, task])
        await session.flush()
        claim = TaskClaim(task_id=task.id, person_id=pid["ani"], claimed_at=T0)
        session.add(claim)

        def event(team: str | None, token: str, status: EventStatus) -> Event:
            return Event(
                title=f"Rally {token}", team_id=teams[team].id if team else None,
                starts_at=T0 + 3 * day, ends_at=T0 + 3 * day + timedelta(hours=2),
                checkin_token=token, status=status, created_at=T0, updated_at=T0,
                latitude=-6.2, longitude=106.8, going_count=1,
            )

        event_a = event("A", "tok-a", EventStatus.SCHEDULED)
        event_b = event("B", "tok-b", EventStatus.SCHEDULED)
        event_gone = event(None, "tok-gone", EventStatus.CANCELLED)
        event_b_gone = event("B", "tok-b-gone", EventStatus.CANCELLED)
        session.add_all([event_a, event_b, event_gone, event_b_gone])
        await session.flush()
        rsvp = EventRsvp(event_id=event_a.id, person_id=pid["ani"], status=RsvpStatus.GOING,
                         responded_at=T0)
        fb_round = FeedbackRound(event_id=event_a.id, team_id=teams["A"].id, title="Rally",
                                 subject_starts_at=T0 - day, asked_at=T0, closes_at=T0 + 7 * day)
        session.add_all([rsvp, fb_round])
        await session.flush()
        fb_ani = FeedbackResponse(round_id=fb_round.id, person_id=pid["ani"])
        session.add(fb_ani)

        def broadcast(author: str, status: BroadcastStatus, **kw: Any) -> Broadcast:
            return Broadcast(author_id=pid[author], text="Hello", status=status, created_at=T0,
                             **kw)

        draft = broadcast("cora", BroadcastStatus.DRAFT, audience="all", audience_label="")
        # Scheduled far ahead: the dispatcher leaves it alone while the test runs.
        sent = broadcast("cora", BroadcastStatus.SCHEDULED, audience="all", total=3,
                         scheduled_at=T0 + 5 * day)
        lead_sent = broadcast("lina", BroadcastStatus.DONE, audience=f"team:{teams['A'].id}",
                              total=2, failed_count=1)
        line = BudgetLine(category="Printing", category_key="printing", planned_minor=1_000_000,
                          currency="IDR", created_at=T0, updated_at=T0)
        session.add_all([draft, sent, lead_sent, line])
        await session.flush()

        # A receipt the sandbox really holds, as if the claimant had sent the photo.
        receipt = bot.sandbox.world.files.add(b"\xff\xd8receipt", kind="photo",
                                              file_name="receipt.jpg", mime_type="image/jpeg")

        def expense(who: str) -> Expense:
            return Expense(amount_minor=50_000, currency="IDR", budget_line_id=line.id,
                           spent_by_id=pid[who], status=ExpenseStatus.PENDING, created_at=T0,
                           receipt_file_id=receipt.file_id, receipt_kind="photo")

        claim_exp, cora_exp = expense("ani"), expense("cora")
        session.add_all([claim_exp, cora_exp])
        # People in the middle of a flow, so the flow's own buttons reach their checks.
        session.add_all([
            FlowState(telegram_id=PEOPLE["lina"][0], flow="newshift", step="team", data={},
                      updated_at=T0, expires_at=T0 + day),
            FlowState(telegram_id=PEOPLE["citra"][0], flow="task_done_pick", step="pick",
                      data={"quantity": None, "unit": "", "note": ""}, updated_at=T0,
                      expires_at=T0 + day),
        ])
        await session.flush()
        o.update(
            shift_a=shift_a.id, shift_open=shift_open.id, signup_ani=signup.id,
            cover_ani=cover.id, offer_ani=offer.id, task_a=task.id, claim_ani=claim.id,
            event_a=event_a.id, event_b=event_b.id, event_gone=event_gone.id,
            event_b_gone=event_b_gone.id, rsvp_ani=rsvp.id,
            draft=draft.id, sent=sent.id, lead_sent=lead_sent.id, line=line.id,
            claim_exp=claim_exp.id, cora_exp=cora_exp.id, fb_ani=fb_ani.id,
        )
    return o


async def snapshot(bot: BotHarness) -> dict[str, list[tuple[Any, ...]]]:
    """Every domain row, as plain values (what a refused press must leave as it was)."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with bot.db() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_DOMAIN:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            rows = (await session.execute(select(*columns))).all()
            found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return found


async def refusal_of(bot: BotHarness, user_id: int, data: str) -> str:
    """Presses forged `data` on the person's own latest message; returns what they read:
    the alert, or (when the handler had answered the query already) the message after it."""
    user = bot.user(user_id, language_code="en")
    # A message of the bot's in their own chat to press on (put there directly: a reply the
    # bot sent a moment ago would make the refusal wait for the chat's 1-per-second window).
    world = bot.sandbox.world
    own = world.add_message(
        world.private_chat(user.spec), sender=world.bot_user(), from_bot=True,
        content={"text": "Choose:"},
    )
    pressed = await user.press(own.message_id, data=data, expect="answer")
    if pressed.answer.text:
        return pressed.answer.text
    return (await user.next_message(timeout=5)).text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_a_button_refuses_who_may_not_act_on_its_object(
    case: Case, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'authz.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        objects = await seed(bot)
        data = case.data(objects)
        assert len(data.encode()) <= 64
        presser = PEOPLE[case.presser][0]
        bot.user(presser, PEOPLE[case.presser][1], "en")
        before = await snapshot(bot)
        text = await refusal_of(bot, presser, data)
        assert case.refusal in text, f"{case.presser} pressing {data} read: {text!r}"
        assert "went wrong" not in text
        assert await snapshot(bot) == before, f"{data} by {case.presser} changed the database"


def test_the_matrix_names_every_registered_callback_prefix() -> None:
    """A new button kind must join the matrix (or the self-only list) to pass."""
    from telegram.ext import CallbackQueryHandler

    from bot.app import FEATURE_MODULES

    registered: set[str] = set()
    for module in FEATURE_MODULES:
        for handler in module.handlers():
            if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                pattern = getattr(handler.pattern, "pattern", str(handler.pattern))
                registered.add(pattern)
    covered = {c.id.split()[0].split(":")[0] for c in CASES} | {"lang", "tz", "sk"}
    for pattern in registered:
        prefixes = pattern.lstrip("^").split(":")[0].strip("()").split("|")
        for prefix in prefixes:
            assert prefix in covered, f"callback prefix {prefix!r} ({pattern}) is not in the matrix"
