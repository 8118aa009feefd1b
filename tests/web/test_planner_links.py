""""📅 Plan in the app" on the cards coordinators see, and the sandbox refereeing it.

The button is a `web_app` button at the item's week and team (`?start=<Monday>&team=<id>`,
read by planner.js); only where the web app runs, only in a private chat, never for a
volunteer.  The sandbox refuses what Telegram refuses: a `web_app` button in a group, a
Mini App URL that is not HTTPS (the sandbox's own loopback page excepted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from telegram.error import BadRequest

from models import Team
from tests.support.harness import BotHarness, start_harness

APP = "https://gotong.example.org/app/"


def web_apps(message: Any) -> list[tuple[str, str]]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [(b["text"], b["web_app"]["url"]) for row in rows for b in row if "web_app" in b]


async def team_id(bot: BotHarness) -> int:
    async with bot.db() as session:
        found = await session.scalar(select(Team.id).where(Team.name == "Jaksel"))
        assert found is not None
        return int(found)


async def test_cards_open_the_planner_at_their_week(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'l.sqlite3'}",
                             webapp_url=APP) as bot:
        admin = bot.admin
        ani = bot.user(2, "Ani", "en", username="ani")
        for who in (admin, ani):
            ask = await who.send_and_wait("/start")
            await who.press(ask, 1, expect="edit")
        await admin.send_and_wait("/team create Jaksel")
        await admin.send_and_wait("/team add Jaksel @ani")
        jaksel = await team_id(bot)
        # Sunday 29 Nov is in the week of Monday 23 Nov (Jakarta).
        shift = await admin.send_and_wait(
            "/newshift Jaksel | Door-knocking | 2026-11-29 08:00 | 3h | 5 | Pasar Tebet")
        assert web_apps(shift) == [("📅 Plan in the app", f"{APP}?start=2026-11-23&team={jaksel}")]
        event = await admin.send_and_wait("/newevent Rally | 2026-12-01 10:00 | 3h | GOR | Jaksel")
        assert web_apps(event) == [("📅 Plan in the app", f"{APP}?start=2026-11-30&team={jaksel}")]
        # The coordinator's card opened from /events carries it too; a volunteer's card of
        # the same event has Going/Not going and no planner.
        for who, planner in ((admin, True), (ani, False)):
            listing = await who.send_and_wait("/events")
            opened = await who.press(listing, "📅 1", expect="edit")
            assert opened.message is not None and "Rally" in opened.message.text
            assert bool(web_apps(opened.message)) is planner


async def test_no_button_where_the_web_app_does_not_run(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'l.sqlite3'}") as bot:
        admin = bot.admin
        ask = await admin.send_and_wait("/start")
        await admin.press(ask, 1, expect="edit")
        await admin.send_and_wait("/team create Jaksel")
        shift = await admin.send_and_wait(
            "/newshift Jaksel | Door-knocking | 2026-11-29 08:00 | 3h | 5 | Pasar Tebet")
        assert "Door-knocking" in shift.text and web_apps(shift) == []


async def test_the_sandbox_referees_web_app_buttons_like_telegram(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'l.sqlite3'}") as bot:
        admin = bot.admin
        await admin.send_and_wait("/start")
        group = bot.sandbox.world.group_chat(-100777, "Relawan", "supergroup")

        def keyboard(url: str) -> InlineKeyboardMarkup:
            return InlineKeyboardMarkup([[InlineKeyboardButton("open", web_app=WebAppInfo(url))]])

        with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
            await bot.app.bot.send_message(group.chat_id, "x", reply_markup=keyboard(APP))
        with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
            await bot.app.bot.send_message(admin.user_id, "x",
                                           reply_markup=keyboard("http://example.org/app/"))
        # HTTPS in a private chat, and the browser sandbox's own loopback page, are fine.
        for url in (APP, "http://127.0.0.1:8765/app/?start=2026-11-23"):
            sent = await bot.app.bot.send_message(admin.user_id, "x", reply_markup=keyboard(url))
            assert sent.message_id > 0
