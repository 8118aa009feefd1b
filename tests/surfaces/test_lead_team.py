"""A lead's /team is described and explained as what a lead can do with it (issue #17): the
lead's command menu describes /team for the lead, its usage names no /team create, and
/team create is refused as their role's, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.views.i18n import load_catalogs
from bot.views.render import to_plain
from tests.conftest import T0
from tests.support.harness import deliver, start_harness

ROLE = {"en": "your role doesn't allow that", "id": "peranmu tidak mengizinkan itu"}


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_a_lead_reads_their_own_team_command(tmp_path: Path, lang: str) -> None:
    catalog = load_catalogs()[lang]
    url = f"sqlite+aiosqlite:///{tmp_path / 'lead.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        admin, lia = bot.user(1, "Admin", lang), bot.user(2, "Lia", lang)
        await lia.send_and_wait("/start")
        await admin.send_and_wait("/team create Jaksel")
        await admin.send_and_wait("/promote 2 lead Jaksel")
        # The admin's updates run in order: this reply means the promotion's menu is set.
        coordinator_usage = await admin.send_and_wait("/team add Jaksel")
        await deliver(bot)
        await lia.next_message(predicate=lambda m: "Jaksel" in m.text)  # told of the role
        menu = {
            c["command"]: c["description"]
            for c in bot.sandbox.visible_commands(lia.chat_id, lia.user_id, lang)
        }
        usage = await lia.send_and_wait("/team add Jaksel")
        refused = await lia.send_and_wait("/team create Jakut")
    assert menu["team"] == to_plain(catalog["cmd.team_lead"])
    assert "promote" not in menu and "budget" not in menu
    assert usage.text == to_plain(catalog["team.usage_lead"])
    assert "/team create" not in usage.text and "/team add" in usage.text
    assert ROLE[lang] in refused.text
    assert "/team create" in coordinator_usage.text  # the coordinator's usage still offers it
