"""Promoting or demoting someone tells them their new role and what it lets them do, in
their language, and the coordinator reads that they were told (issue #17)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from models import Membership, Person, Role
from tests.conftest import T0
from tests.support.harness import deliver, start_harness

TOLD = {"en": "I've told them privately", "id": "Saya sudah memberi tahu dia"}
LEAD = {"en": "You are now a team lead of Jaksel, set by Admin.",
        "id": "Kamu sekarang ketua tim Jaksel, diatur oleh Admin."}
LEAD_CAN = {"en": "As a team lead you can", "id": "Sebagai ketua tim kamu bisa"}
VOLUNTEER = {"en": "Your role is now volunteer (it was team lead), set by Admin.",
             "id": "Peranmu sekarang relawan (sebelumnya ketua tim), diatur oleh Admin."}
VOLUNTEER_CAN = {"en": "As a volunteer you can", "id": "Sebagai relawan kamu bisa"}


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_promoted_and_demoted_person_is_told_in_their_language(
    tmp_path: Path, lang: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roles.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        admin, lia = bot.user(1, "Admin", lang), bot.user(2, "Lia", lang)
        await lia.send_and_wait("/start")
        await admin.send_and_wait("/team create Jaksel")
        promoted = await admin.send_and_wait("/promote 2 lead Jaksel")
        await deliver(bot)
        told_lead = await lia.next_message(predicate=lambda m: "Jaksel" in m.text)
        demoted = await admin.send_and_wait("/demote 2")
        await deliver(bot)
        told_volunteer = await lia.next_message(predicate=lambda m: "/shifts" in m.text)
        async with bot.db() as session:
            role = await session.scalar(select(Person.role).where(Person.telegram_id == 2))
            leads = (await session.scalars(select(Membership.is_lead))).all()
    assert TOLD[lang] in promoted.text and TOLD[lang] in demoted.text
    assert LEAD[lang] in told_lead.text and LEAD_CAN[lang] in told_lead.text
    assert "/newshift" in told_lead.text and "/promote" not in told_lead.text
    assert VOLUNTEER[lang] in told_volunteer.text and VOLUNTEER_CAN[lang] in told_volunteer.text
    assert role == Role.VOLUNTEER and leads == [False]
