"""One person's quick succession of commands is handled in order (others run alongside)."""

from __future__ import annotations

from tests.support.harness import BotHarness


async def test_fast_typing_is_handled_in_order(bot: BotHarness) -> None:
    admin = bot.admin
    await admin.send("/team create Jaksel")
    await admin.send("/team create Jaktim")
    await admin.send("/invite")
    replies = await admin.expect_replies(3)
    assert "Jaksel" in replies[0].text and "Jaktim" in replies[1].text
    assert {"Jaksel", "Jaktim"} <= set(replies[2].button_texts)
