"""Every button re-checks the object it names, not only the presser's role.

The authorization matrix: for each button kind (every callback prefix that handlers/*.py
registers, and each action under it), someone who must not act on that object presses it
with forged data (a volunteer, a lead of another team, another coordinator where drafts are
personal, the owner when the object is in the wrong state).  They read a refusal, and the
database holds exactly what it held before (the audit log excepted: refusals are audited).

Buttons that act only on the presser themselves (`lng1`, `tzs1`, `skt1`) have no foreign
object to name and are not in the matrix; their forged-data answers are covered elsewhere.
"""

from __future__ import annotations

import re
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
OTHER_TEAM = "another team"  # a lead's own role, another team's thing (not "your role")
CAMPAIGN = "whole campaign"  # a lead's own role, the whole campaign's thing
NO_EVENT = "no event number"
NO_BROADCAST = "broadcast was not found"


@dataclass(frozen=True)
class Case:
    id: str
    presser: str
    data: Callable[[dict[str, int]], str]
    refusal: str  # a fragment of the refusal the presser reads


CASES = [
    # ---- broadcasts (handlers/broadcast.py, bot/views/broadcasts.py): drafts are personal
    Case("bck1 other team's lead", "bima", lambda o: f"bck1:{o['draft']}:team", NO_BROADCAST),
    Case("bck1 other coordinator", "dewi", lambda o: f"bck1:{o['draft']}:team", NO_BROADCAST),
    Case("bck1 not a draft", "cora", lambda o: f"bck1:{o['sent']}:team", STALE),
    Case("bck1 volunteer", "ani", lambda o: f"bck1:{o['draft']}:team", NOT_ALLOWED),
    Case("bca1 other coordinator", "dewi", lambda o: f"bca1:{o['draft']}:all:", NO_BROADCAST),
    Case("bca1 other lead", "bima", lambda o: f"bca1:{o['draft']}:team:{o['team_b']}",
         NO_BROADCAST),
    Case("bcb1 other coordinator", "dewi", lambda o: f"bcb1:{o['draft']}", NO_BROADCAST),
    Case("bcg1 other coordinator", "dewi", lambda o: f"bcg1:{o['draft']}", NO_BROADCAST),
    Case("bcg1 volunteer", "ani", lambda o: f"bcg1:{o['draft']}", NOT_ALLOWED),
    Case("bcn1 other coordinator", "dewi", lambda o: f"bcn1:{o['draft']}", NO_BROADCAST),
    Case("bch1 other coordinator", "dewi", lambda o: f"bch1:{o['draft']}", NO_BROADCAST),
    Case("bcs1 other coordinator", "dewi", lambda o: f"bcs1:{o['draft']}", NO_BROADCAST),
    Case("bcx1 other coordinator", "dewi", lambda o: f"bcx1:{o['sent']}", NO_BROADCAST),
    Case("bcx1 other lead", "bima", lambda o: f"bcx1:{o['draft']}", NO_BROADCAST),
    Case("bcf1 other lead", "bima", lambda o: f"bcf1:{o['lead_sent']}:0", NO_BROADCAST),
    # ---- invites (handlers/people/admin.py)
    Case("ivt1 other team", "bima", lambda o: f"ivt1:{o['team_a']}", STALE),
    Case("ivr1 other team", "bima", lambda o: f"ivr1:{o['team_a']}:volunteer", OTHER_TEAM),
    Case("ivr1 role not offered", "lina", lambda o: f"ivr1:{o['team_a']}:coordinator", STALE),
    Case("ivt1 volunteer", "ani", lambda o: f"ivt1:{o['team_a']}", NOT_ALLOWED),
    # ---- shifts (handlers/shifts/lists.py)
    Case("shcl1 other team", "citra", lambda o: f"shcl1:{o['shift_a']}", OTHER_TEAM),
    Case("shw1 other team", "citra", lambda o: f"shw1:{o['shift_a']}", OTHER_TEAM),
    Case("shr1 someone else's place", "budi", lambda o: f"shr1:{o['signup_ani']}", NOT_YOURS),
    Case("shcv1 someone else's place", "budi", lambda o: f"shcv1:{o['signup_ani']}", NOT_YOURS),
    Case("shca1 other team", "citra", lambda o: f"shca1:{o['cover_ani']}", OTHER_TEAM),
    Case("shca1 own cover", "ani", lambda o: f"shca1:{o['cover_ani']}", "already"),
    Case("shwa1 someone else's offer", "budi", lambda o: f"shwa1:{o['offer_ani']}", NOT_YOURS),
    Case("shwd1 someone else's offer", "budi", lambda o: f"shwd1:{o['offer_ani']}", NOT_YOURS),
    Case("shin1 someone else's place", "budi", lambda o: f"shin1:{o['signup_ani']}", STALE),
    # Undo of a release nobody made (budi never held a place on it): nothing to undo.
    Case("shu1 nothing released", "budi", lambda o: f"shu1:{o['shift_a']}:0", "passed"),
    # ---- tasks (handlers/shifts/tasks.py)
    Case("tkc1 other team", "citra", lambda o: f"tkc1:{o['task_a']}", OTHER_TEAM),
    Case("tkr1 someone else's claim", "budi", lambda o: f"tkr1:{o['claim_ani']}", NOT_YOURS),
    Case("tkd1 someone else's claim", "budi", lambda o: f"tkd1:{o['claim_ani']}", NOT_YOURS),
    Case("tkd1 someone else's claim, mid /done", "citra",
         lambda o: f"tkd1:{o['claim_ani']}", NOT_YOURS),
    # ---- shift check-in (handlers/shifts/checkin.py)
    Case("cil1 other team", "bima", lambda o: f"cil1:{o['shift_a']}", OTHER_TEAM),
    Case("cil1 campaign-wide, lead", "lina", lambda o: f"cil1:{o['shift_open']}", CAMPAIGN),
    Case("cit1 other team", "bima", lambda o: f"cit1:{o['signup_ani']}:1", OTHER_TEAM),
    Case("cit1 volunteer", "budi", lambda o: f"cit1:{o['signup_ani']}:1", NOT_ALLOWED),
    # ---- shift creation (handlers/shifts/create.py)
    Case("shrp1 other team", "bima", lambda o: f"shrp1:{o['shift_a']}:d", OTHER_TEAM),
    Case("shxy1 other team", "bima", lambda o: f"shxy1:{o['shift_a']}", OTHER_TEAM),
    Case("shxy1 volunteer", "ani", lambda o: f"shxy1:{o['shift_a']}", NOT_ALLOWED),
    Case("shxn1 volunteer", "ani", lambda o: f"shxn1:{o['shift_a']}", NOT_ALLOWED),
    Case("nft1 other team, in own flow", "lina", lambda o: f"nft1:{o['team_b']}", OTHER_TEAM),
    Case("nft1 all teams, lead", "lina", lambda o: "nft1:", CAMPAIGN),
    Case("nfs1 volunteer", "ani", lambda o: "nfs1:", NOT_ALLOWED),
    Case("nfs1 no flow of theirs", "cora", lambda o: "nfs1:", STALE),
    Case("dua1 other team", "bima", lambda o: f"dua1:{o['event_a']}", OTHER_TEAM),
    Case("dut1 other team", "bima", lambda o: f"dut1:{o['event_a']}", OTHER_TEAM),
    # ---- events (handlers/events/plan.py, handlers/events/attendance.py)
    Case("evr1 other team's event", "citra", lambda o: f"evr1:going:{o['event_a']}", NO_EVENT),
    Case("evr1 other team's cancelled event", "ani", lambda o: f"evr1:going:{o['event_b_gone']}",
         NO_EVENT),
    Case("evl1 other team's event", "citra", lambda o: f"evl1:going:{o['event_a']}", NO_EVENT),
    Case("evc1 someone else's answer", "budi", lambda o: f"evc1:0:{o['rsvp_ani']}", STALE),
    Case("evo1 other team's event", "citra", lambda o: f"evo1:{o['event_a']}", NO_EVENT),
    Case("evi1 lead", "bima", lambda o: f"evi1:{o['event_a']}", NOT_ALLOWED),
    Case("evi1 cancelled event", "cora", lambda o: f"evi1:{o['event_gone']}",
         "has been cancelled"),
    Case("eva1 lead", "bima", lambda o: f"eva1:{o['event_a']}:{o['team_b']}", NOT_ALLOWED),
    Case("eved1 lead", "bima", lambda o: f"eved1:{o['event_a']}", NOT_ALLOWED),
    Case("evx1 lead", "bima", lambda o: f"evx1:{o['event_a']}", NOT_ALLOWED),
    Case("evxy1 lead", "bima", lambda o: f"evxy1:{o['event_a']}", NOT_ALLOWED),
    Case("evxy1 cancelled event", "cora", lambda o: f"evxy1:{o['event_gone']}",
         "has been cancelled"),
    Case("evxn1 volunteer", "ani", lambda o: f"evxn1:{o['event_a']}", NOT_ALLOWED),
    Case("evrn1 other team", "bima", lambda o: f"evrn1:{o['event_a']}", NOT_ALLOWED),
    Case("evqr1 other team", "bima", lambda o: f"evqr1:{o['event_a']}", OTHER_TEAM),
    Case("evcl1 other team", "bima", lambda o: f"evcl1:{o['event_a']}", OTHER_TEAM),
    Case("evci1 other team", "bima", lambda o: f"evci1:{o['rsvp_ani']}", OTHER_TEAM),
    Case("evcsv1 other team", "bima", lambda o: f"evcsv1:{o['event_a']}", NO_EVENT),
    Case("evuc1 other team", "bima", lambda o: f"evuc1:{o['event_a']}", NO_EVENT),
    Case("evuc1 volunteer", "ani", lambda o: f"evuc1:{o['event_a']}", NOT_ALLOWED),
    Case("evics1 other team's event", "citra", lambda o: f"evics1:{o['event_a']}", NO_EVENT),
    Case("evloc1 other team's event", "citra", lambda o: f"evloc1:{o['event_a']}", NO_EVENT),
    # ---- budget (handlers/budget_claims.py) and guided flows (handlers/guided.py)
    Case("cla1 volunteer", "budi", lambda o: f"cla1:{o['claim_exp']}", NOT_ALLOWED),
    Case("cla1 lead", "lina", lambda o: f"cla1:{o['claim_exp']}", NOT_ALLOWED),
    Case("cla1 own claim", "cora", lambda o: f"cla1:{o['cora_exp']}", "your own claim"),
    Case("clr1 volunteer", "budi", lambda o: f"clr1:{o['claim_exp']}", NOT_ALLOWED),
    Case("clp1 volunteer", "budi", lambda o: f"clp1:{o['claim_exp']}", NOT_ALLOWED),
    Case("clv1 someone else's receipt", "budi", lambda o: f"clv1:{o['claim_exp']}",
         NOT_ALLOWED),
    Case("gfc1 outside the flow", "budi",
         lambda o: f"gfc1:budget_expense:category:{o['line']}", STALE),
    Case("gfs1 outside the flow", "budi", lambda o: "gfs1:budget_expense", "already done"),
    Case("gfk1 outside the flow", "budi", lambda o: "gfk1:budget_expense:receipt", STALE),
    Case("gfx1 outside the flow", "budi", lambda o: "gfx1:budget_expense", STALE),
    # ---- feedback (handlers/progress/feedback.py): answers are personal, results team-scoped
    Case("fbr1 someone else's answer", "budi", lambda o: f"fbr1:{o['fb_ani']}:5", STALE),
    Case("fbn1 someone else's answer", "budi", lambda o: f"fbn1:{o['fb_ani']}:1", STALE),
    Case("fbc1 someone else's answer", "budi", lambda o: f"fbc1:{o['fb_ani']}", STALE),
    Case("fba1 someone else's answer", "budi", lambda o: f"fba1:{o['fb_ani']}:1:0", STALE),
    Case("fbs1 someone else's answer", "budi", lambda o: f"fbs1:{o['fb_ani']}:1", STALE),
    Case("fbv1 other team's results", "bima", lambda o: f"fbv1:e:{o['event_a']}", OTHER_TEAM),
    Case("fbp1 volunteer", "ani", lambda o: f"fbp1:e:{o['event_a']}:1", NOT_ALLOWED),
    # ---- progress (handlers/progress/summary.py)
    Case("sdt1 other team", "lina", lambda o: f"sdt1:{o['team_b']}", OTHER_TEAM),
    Case("sde1 other team's event", "lina", lambda o: f"sde1:{o['event_b']}", OTHER_TEAM),
    Case("sda1 volunteer", "ani", lambda o: "sda1", NOT_ALLOWED),
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

    from bot.features import bot_features

    registered: set[str] = set()
    for feature in bot_features():
        for handler in feature.handlers:
            pattern = getattr(handler, "pattern", None)
            if isinstance(handler, CallbackQueryHandler) and isinstance(pattern, re.Pattern):
                registered.add(pattern.pattern)
        registered.update(f"^{action.kind.tag()}:" for action in feature.buttons)
    # Self-only: the presser's own language, timezone, skills, and pages of their own lists.
    self_only = {"lng1", "tzs1", "skt1", "shp1", "tkp1"}
    covered = {c.id.split()[0].split(":")[0] for c in CASES} | self_only
    for pattern in registered:
        prefixes = pattern.lstrip("^").split(":")[0].strip("()").split("|")
        for prefix in prefixes:
            assert prefix in covered, f"callback prefix {prefix!r} ({pattern}) is not in the matrix"
