"""The dashboard's chart data (budget, goal pace, attendance) through the API, and the page
drawing it in real Chromium in Indonesian, with the People page's unconfirmed list."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.money import format_money
from bot.services.budget.lines import budget_status
from bot.services.events.attendance import sweep_no_shows
from bot.views.i18n import I18n
from bot.views.render import to_plain
from bot.web.server import start_web
from models import Person
from tests.support.harness import BotHarness, start_harness
from tests.web.browser import chromium, require_chromium, screenshot, wait_for
from tests.web.support import COORDINATOR, LEAD, VOLUNTEER, WebClient, seed_campaign, web_client
from tests.web.test_people_unconfirmed import answer, make_event

I18N = I18n("en")


async def _budget_and_goal(bot: BotHarness) -> None:
    admin = bot.admin
    await admin.send_and_wait("/budgetline Printing 5jt")
    await admin.send_and_wait("/expense 3jt Printing banner")
    await admin.send_and_wait("/goal volunteers 20 2026-12-31")


async def test_budget_pace_and_attendance_data(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        await _budget_and_goal(bot)
        async with web_client(bot) as web:
            rally = await make_event(web, "Rally", teams["jaksel"], "2026-11-28")
            await answer(bot, rally, VOLUNTEER, confirmed=True)
            await answer(bot, rally, LEAD, confirmed=False)
            bot.clock.advance(timedelta(days=10))
            await sweep_no_shows(bot.db, now=bot.clock.now())  # the chat's no-show job
            d = await web.call("GET", "/api/dashboard", user=COORDINATOR)
            assert d.status == 200, d.body
            status = await budget_status(bot.db)
            b = d.body["budget"]
            assert (b["planned"], b["spent"]) == (status.planned, status.spent) == (
                500_000_000, 300_000_000)
            assert b["spent_label"] == format_money(status.spent, "IDR", "en")
            assert [line["category"] for line in b["lines"]] == ["Printing"]
            [goal] = d.body["goals"]
            # Created at T0, due 31 Dec: ten days on the straight line stand at 20·10/35.4 days.
            assert 5 < goal["expected"] < 6 and goal["behind"] is True
            [event] = d.body["attendance"]
            assert event["title"] == "Rally" and event["ended"] is True
            assert (event["going"], event["confirmed"], event["no_show"]) == (2, 1, 2)
            lead = await web.call("GET", "/api/dashboard", user=LEAD)
            assert lead.status == 200 and lead.body["budget"] is None  # no /budget for leads
            other = await web.call("GET", f"/api/dashboard?team={teams['bogor']}", user=LEAD)
            assert other.status == 403
            team = await web.call("GET", f"/api/dashboard?team={teams['jaksel']}",
                                  user=COORDINATOR)
            assert team.body["budget"]["lines"] == []  # Printing is the campaign's line


def _in_browser(web_url: str, dash_data: str, people_data: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from tests.web.test_browser import app_url, open_app

    def texts(driver: Any, css: str) -> list[str]:
        return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]

    with chromium(tmp_path / "profile", language="id") as driver:
        open_app(driver, app_url(web_url, dash_data))
        wait_for(driver, lambda d: d.find_element(By.ID, "tab-dashboard"), "tabs").click()
        title = to_plain(I18N.t("id", "webapp.dash_budget"))
        wait_for(driver, lambda d: title in texts(d, "#dash-budget h4"), "the budget chart")
        spent = driver.find_elements(By.CSS_SELECTOR, "#dash-budget svg.chart rect.spent")
        assert len(spent) == 2  # the total and the Printing line
        labels = " ".join(texts(driver, "#dash-budget svg text"))
        assert "Printing" in labels and format_money(300_000_000, "IDR", "id") in labels
        screenshot(driver, "webapp-dashboard-id.png", tmp_path)
        driver.find_element(By.ID, "tab-people").click()
        driver.find_element(By.CSS_SELECTOR, "#unconf-box summary").click()
        option = wait_for(driver, lambda d: next(
            (o for o in d.find_elements(By.CSS_SELECTOR, "#unconf-event option")
             if "Rally" in o.text), None), "the event")
        option.click()
        wait_for(driver, lambda d: texts(d, "#unconf-list li span") == ["Lina"], "unconfirmed")
        expected = to_plain(I18N.t("id", "webapp.unconfirmed_count", n=1))
        assert driver.find_element(By.ID, "unconf-msg").text == expected
        assert driver.find_element(By.ID, "unconf-remind").text == to_plain(
            I18N.t("id", "webapp.remind"))


async def test_the_page_draws_the_budget_and_lists_the_unconfirmed_in_indonesian(
    tmp_path: Path,
) -> None:
    require_chromium()
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        await _budget_and_goal(bot)
        async with bot.db.begin() as session:
            cora = await session.scalar(select(Person).where(Person.telegram_id == COORDINATOR))
            assert cora is not None
            cora.language = "id"
        web = await start_web(bot.app, "127.0.0.1", 0)
        try:
            signer = WebClient(bot, web, None)  # type: ignore[arg-type]
            async with web_client(bot) as api:
                rally = await make_event(api, "Rally", teams["jaksel"], "2026-11-28")
            await answer(bot, rally, LEAD, confirmed=False)
            await answer(bot, rally, VOLUNTEER, confirmed=True)
            data = signer.init_data(COORDINATOR, language="id")
            await asyncio.to_thread(_in_browser, web.url, data, data, tmp_path)
        finally:
            await web.stop()
