"""/help is grouped by the work, everyday commands first, and a lead is offered only what
a lead can do (issue #17), in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.commands import HELP_GROUPS
from bot.features import command_table
from bot.views.i18n import load_catalogs
from bot.views.render import to_plain
from models import Membership, Person, Role, Team
from sandbox import UserSpec
from tests.conftest import T0
from tests.support.harness import BotHarness, start_harness

HEADINGS = {
    "en": ["Every day", "People and teams", "Shifts and tasks", "Events", "Broadcasts",
           "Progress and reports", "Money"],
    "id": ["Sehari-hari", "Orang dan tim", "Shift dan tugas", "Acara", "Siaran",
           "Perkembangan dan laporan", "Keuangan"],
}
REFUSED = {"en": "doesn't allow", "id": "tidak"}


async def seed_lead(bot: BotHarness, lang: str) -> None:
    async with bot.db.begin() as session:
        team = Team(name="Jaksel", name_key="jaksel")
        session.add(team)
        await session.flush()
        lead = Person(telegram_id=2, first_name="Lia", role=Role.LEAD, language=lang)
        session.add(lead)
        await session.flush()
        session.add(Membership(person_id=lead.id, team_id=team.id, is_lead=True))
    bot.sandbox.world.private_chat(UserSpec(2, "Lia", language_code=lang))


def lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_help_groups_commands_and_a_lead_sees_only_what_a_lead_can_do(
    tmp_path: Path, lang: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'help.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        await seed_lead(bot, lang)
        admin = bot.user(1, "Admin", lang)
        coordinator_help = "\n".join(
            m.text for m in [await admin.send_and_wait("/help")]
        )
        lead = bot.user(2, "Lia", lang)
        lead_help = (await lead.send_and_wait("/help")).text
        refused = (await lead.send_and_wait("/team create Jakut")).text
    catalog = load_catalogs()[lang]
    lines = lines_of(coordinator_help)
    # Every section, in order, each with its commands under it; everyday ones first.
    positions = [lines.index(heading) for heading in HEADINGS[lang]]
    assert positions == sorted(positions)
    everyday = lines[positions[0] + 1 : positions[1]]
    assert everyday[0].startswith("/start") and any(x.startswith("/shifts ") for x in everyday)
    money = lines[positions[-1] + 1 :]
    assert {x.split(" ")[0] for x in money} >= {"/budget", "/ledger", "/fund"}
    people = lines[positions[1] + 1 : positions[2]]
    assert [x.split(" ")[0] for x in people] == [
        "/invite", "/team", "/promote", "/demote", "/linkteam", "/unlinkteam", "/groupdigest",
        "/import"]
    # The coordinator's /team offers create; the lead's describes only what leads do.
    team_for = {x.split(" ")[0]: x for x in lines}["/team"]
    assert to_plain(catalog["cmd.team"]) in team_for
    lead_lines = {x.split(" ")[0]: x for x in lines_of(lead_help)}
    assert to_plain(catalog["cmd.team_lead"]) in lead_lines["/team"]
    assert to_plain(catalog["cmd.team"]) not in lead_help
    assert "create" not in lead_help  # (en) nothing else offers to create teams either
    assert "/promote" not in lead_lines and "/budget" not in lead_lines
    assert REFUSED[lang] in refused  # what /help no longer offers is indeed refused


def test_every_command_has_a_known_help_group_and_every_group_a_heading() -> None:
    catalogs = load_catalogs()
    assert {c.name for c in command_table() if c.help_group == "other"} == set()
    for lang in ("en", "id"):
        for group in (*HELP_GROUPS, "other"):
            assert f"help.group.{group}" in catalogs[lang]


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_help_offers_the_app_where_the_web_app_runs(tmp_path: Path, lang: str) -> None:
    """`/app` (the Mini App's entry, bot/web/telegram.py) is in everyone's /help when the
    bot runs with its web app, and not when it runs without."""
    from bot.web import telegram as web_telegram

    catalog = load_catalogs()[lang]
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0),
                             extra_features=[web_telegram.FEATURE]) as bot:
        volunteer = bot.user(3, "Ani", lang)
        with_app = lines_of((await volunteer.send_and_wait("/help")).text)
    assert f"/app — {to_plain(catalog['cmd.app'])}" in with_app
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        without = (await bot.user(3, "Ani", lang).send_and_wait("/help")).text
    assert "/app" not in without
