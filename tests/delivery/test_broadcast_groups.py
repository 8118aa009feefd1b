"""Broadcasting to a team's group chats: one post per linked group, no DM per member."""

from __future__ import annotations

from sqlalchemy import select

from models import Broadcast, Membership, OutboxMessage, Person, Role, Team, TeamGroup
from sandbox import UserSpec
from tests.support.harness import BotHarness, deliver

GROUP = -100777


async def test_a_broadcast_to_the_teams_group_is_one_post_in_the_group(bot: BotHarness) -> None:
    await bot.client.create_group(GROUP, "Relawan Jaksel")
    async with bot.db.begin() as session:
        jaksel, bogor = Team(name="Jaksel", name_key="jaksel"), Team(name="Bogor", name_key="bogor")
        session.add_all([jaksel, bogor])
        await session.flush()
        for tid, name in ((2, "ani"), (3, "budi")):
            person = Person(telegram_id=tid, first_name=name, role=Role.VOLUNTEER,
                            language="en", memberships=[])
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, team_id=jaksel.id))
            bot.sandbox.world.private_chat(UserSpec(tid, name))
        session.add(TeamGroup(chat_id=GROUP, team_id=jaksel.id, title="Relawan Jaksel"))
    admin = bot.user(1, "Admin", "en")
    await admin.send_and_wait("/broadcast")
    await admin.send_and_wait("Kumpul di posko jam 8")
    choices = await admin.press(button="A team's group chat…", expect="edit")
    assert choices.message is not None
    # Only teams that have a group are offered.
    assert "The group chat of Jaksel" in choices.message.button_texts
    assert not any("Bogor" in label for label in choices.message.button_texts)
    preview = await admin.press(button="The group chat of Jaksel", expect="edit")
    assert preview.message is not None and "Recipients: 1" in preview.message.text
    await admin.press(button="✅ Send now", expect="edit")
    await deliver(bot)
    assert [m.text for m in bot.sandbox.world.messages(GROUP)] == ["Kumpul di posko jam 8"]
    assert not bot.sandbox.world.messages(2) and not bot.sandbox.world.messages(3)
    async with bot.db() as session:
        b = (await session.scalars(select(Broadcast))).one()
        row = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.broadcast_id == b.id))).one()
        assert row.chat_id == GROUP and row.person_id is None and b.sent_count == 1
