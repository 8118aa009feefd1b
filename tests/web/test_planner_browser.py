"""The planner in real headless Chromium: opened at a card's week, repeating a shift.

A chat card's "📅 Plan in the app" opens `/app/?start=<Monday>&team=<id>`: the planner
shows that week and team.  The editor's Repeat refuses a bad count with the catalog's
words and writes nothing, then repeats the shift daily until a date.  With
SCREENSHOT_DIR=docs the editor with its Repeat control is saved there (the README shows it).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services.shifts.series import MAX_COPIES
from models import Shift
from tests.support.harness import start_harness
from tests.web.browser import chromium, require_chromium, screenshot, wait_for
from tests.web.support import COORDINATOR, seed_campaign, web_client
from tests.web.test_api import shift_body, text
from tests.web.test_browser import app_url, item_titled, items, open_app, set_value


@pytest.fixture(autouse=True)
def _chromium() -> None:
    require_chromium()


async def test_open_at_a_week_and_repeat_a_shift(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        jaksel = teams["jaksel"]
        async with web_client(bot) as web:
            made = await web.call("POST", "/api/shifts", user=COORDINATOR, body=shift_body(
                jaksel, starts_at="2026-12-01T08:00", ends_at="2026-12-01T11:00"))
            assert made.status == 200, made.body
            hash_url = app_url(web.web.url, web.init_data(COORDINATOR))
            url = hash_url.replace("/app/#", f"/app/?start=2026-11-30&team={jaksel}#")

            def scenario() -> None:
                from selenium.webdriver.common.by import By

                with chromium(tmp_path / "profile") as driver:
                    open_app(driver, url)
                    wait_for(driver, lambda d: item_titled(d, "Door-knocking Tebet") is not None,
                             "next week's shift, opened from the link")
                    team = driver.find_element(By.ID, "planner-team")
                    assert team.get_attribute("value") == str(jaksel)
                    item_titled(driver, "Door-knocking Tebet").click()
                    wait_for(driver, lambda d: d.find_element(By.ID, "f-repeat").is_displayed(),
                             "the repeat control")
                    set_value(driver, "f-repeat-count", "0")
                    driver.find_element(By.ID, "f-repeat-go").click()
                    refused = text("series.bad_count", max=MAX_COPIES)
                    wait_for(driver, lambda d: d.find_element(By.ID, "editor-error").text
                             == refused, "a bad count refused in the form")
                    assert len(items(driver)) == 1
                    screenshot(driver, "webapp-planner-repeat.png", tmp_path)
                    set_value(driver, "f-repeat-count", "")
                    driver.find_element(By.ID, "f-repeat-step").send_keys("day")
                    set_value(driver, "f-repeat-until", "2026-12-03")
                    driver.find_element(By.ID, "f-repeat-go").click()
                    wait_for(driver, lambda d: len(items(d)) == 3, "two copies in the week")
                    assert "2 copies" in driver.find_element(By.ID, "status").text

            await asyncio.to_thread(scenario)
        async with bot.db() as session:
            assert await session.scalar(select(func.count()).select_from(Shift)) == 3
