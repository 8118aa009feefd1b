"""Onboarding end to end: the real Application, over HTTP, against the sandbox Bot API."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from models import AuditEntry, Invite, Membership, Person, Role
from tests.support.harness import BotHarness


async def start_with_language(bot: BotHarness, user_id: int, name: str, lang: str) -> None:
    person = bot.user(user_id, name, lang)
    ask = await person.send_and_wait("/start")
    assert "Gotong" in ask.text and len(ask.button_texts) == 2
    button = "Bahasa Indonesia" if lang == "id" else "English"
    index = next(i for i, t in enumerate(ask.button_texts) if button in t)
    pressed = await person.press(ask, index)
    assert pressed.edited and name in pressed.message.text  # type: ignore[union-attr]


async def create_invite_link(bot: BotHarness, team: str) -> str:
    admin = bot.admin
    created = await admin.send_and_wait(f"/team create {team}")
    assert team in created.text
    pick_team = await admin.send_and_wait("/invite")
    assert team in pick_team.button_texts
    pick_role = await admin.press(pick_team, team)
    assert pick_role.edited
    link = await admin.press(pick_role.message, "volunteer")
    match = re.search(r"https://t\.me/\w+\?start=(inv_[\w-]+)", link.message.text)  # type: ignore[union-attr]
    assert match, link.message.text  # type: ignore[union-attr]
    return match.group(1)


async def test_admin_invites_and_volunteer_joins_in_indonesian(bot: BotHarness) -> None:
    await start_with_language(bot, 1, "Admin", "en")
    payload = await create_invite_link(bot, "Jaksel")

    budi = bot.user(2, "Budi", "id")
    joined = await budi.send_and_wait(f"/start {payload}")
    assert "Jaksel" in joined.text and "relawan" in joined.text
    ask_lang = await budi.next_message()
    assert "pilih bahasa" in ask_lang.text.lower()
    first = next(i for i, t in enumerate(ask_lang.button_texts) if "Indonesia" in t)
    await budi.press(ask_lang, first)

    me = await budi.send_and_wait("/me")
    assert "Budi" in me.text and "Jaksel" in me.text and "relawan" in me.text
    volunteer_help = await budi.send_and_wait("/help")
    assert "/me" in volunteer_help.text and "/invite" not in volunteer_help.text
    admin_help = await bot.admin.send_and_wait("/help")
    assert "/invite" in admin_help.text and "/promote" in admin_help.text

    async with bot.db() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 2))
        assert person is not None and person.language == "id" and person.role == Role.VOLUNTEER
        assert await session.scalar(select(Membership).where(Membership.person_id == person.id))


async def test_menus_are_set_per_scope_and_language(bot: BotHarness) -> None:
    await start_with_language(bot, 1, "Admin", "en")
    await start_with_language(bot, 3, "Citra", "id")
    admin_menu = bot.admin.commands()
    volunteer_menu = bot.user(3).commands()
    assert "invite" in admin_menu and "promote" in admin_menu
    assert "me" in volunteer_menu and "invite" not in volunteer_menu


async def test_volunteer_is_refused_politely_and_audited(bot: BotHarness) -> None:
    await start_with_language(bot, 4, "Dewi", "id")
    dewi = bot.user(4)
    refused = await dewi.send_and_wait("/invite")
    assert "peranmu tidak mengizinkan" in refused.text
    refused_team = await dewi.send_and_wait("/team create Hack")
    assert "peranmu" in refused_team.text
    async with bot.db() as session:
        outcomes = list(await session.scalars(select(AuditEntry.outcome)))
        assert outcomes.count("refused") == 2


async def test_bad_invites_still_register_without_team(bot: BotHarness) -> None:
    eko = bot.user(5, "Eko", "en")
    reply = await eko.send_and_wait("/start inv_doesnotexist")
    assert "not valid" in reply.text
    async with bot.db() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 5))
        assert person is not None and person.memberships == []


async def test_forged_and_stale_buttons_change_nothing(bot: BotHarness) -> None:
    await start_with_language(bot, 1, "Admin", "en")
    pick = await bot.admin.send_and_wait("/invite")
    forged = await bot.admin.press(pick, data="ivr1:0:admin", expect="answer")
    assert "no longer valid" in (forged.answer.text or "")
    gone_team = await bot.admin.press(pick, data="ivr1:999999:volunteer", expect="answer")
    assert "999999" in (gone_team.answer.text or "")
    lang_forged = await bot.admin.press(pick, data="lng1:xx", expect="answer")
    assert "no longer valid" in (lang_forged.answer.text or "")
    async with bot.db() as session:
        assert await session.scalar(select(func.count()).select_from(Invite)) == 0


async def test_wrong_arguments_get_a_usage_line(bot: BotHarness) -> None:
    await start_with_language(bot, 1, "Admin", "en")
    usage = await bot.admin.send_and_wait("/promote")
    assert "Usage" in usage.text and "/promote" in usage.text
    unknown = await bot.admin.send_and_wait("/promote @nobody coordinator")
    assert "nobody" in unknown.text
    unknown_cmd = await bot.admin.send_and_wait("/frobnicate")
    assert "/help" in unknown_cmd.text and "/frobnicate" in unknown_cmd.text


async def test_user_text_is_escaped(bot: BotHarness) -> None:
    await start_with_language(bot, 1, "Admin", "en")
    created = await bot.admin.send_and_wait("/team create <b>R&D</b>")
    assert "<b>R&D</b>" in created.text  # shown literally, not as markup
