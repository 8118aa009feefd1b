"""The Mini App and the browser sandbox in real headless Chromium, against the real bot.

A coordinator plans a week of shifts in the planner, a volunteer claims one from the chat
in the browser sandbox (the bot's real /shifts buttons), and the planner shows it filled;
forged initData is refused; the page reads Indonesian for an Indonesian lead.  With
SCREENSHOT_DIR=docs the main pages are saved there (the README shows them).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.views.i18n import I18n
from bot.views.render import to_plain
from bot.web.server import start_web
from models import Person, Shift
from sandbox.standalone import browser_chat
from tests.support.harness import start_harness
from tests.web.browser import chromium, require_chromium, screenshot, wait_for
from tests.web.support import COORDINATOR, LEAD, VOLUNTEER, WebClient, seed_campaign

I18N = I18n("en")
HOSTILE = "Door-knocking <b>Tebet</b> <script>alert(1)</script>"
WEEK = [("2026-11-27", "Door-knocking Tebet", 1), ("2026-11-28", "Flyers Pasar Minggu", 4),
        ("2026-11-29", HOSTILE, 2)]


@pytest.fixture(autouse=True)
def _chromium() -> None:
    require_chromium()


def app_url(web_url: str, init_data: str) -> str:
    return f"{web_url}/app/#tgWebAppData={quote(init_data, safe='')}"


def open_app(driver: Any, url: str) -> None:
    """A fresh page load (another person's initData differs only in the fragment, which a
    browser would treat as a jump within the page already open)."""
    driver.get("about:blank")
    driver.get(url)


def set_value(driver: Any, element_id: str, value: str) -> None:
    """Sets an input the way a person's typing ends (datetime-local widgets differ by locale)."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('input', {bubbles: true}));", element_id, value)


def items(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, "#week .item"))


def item_titled(driver: Any, title: str) -> Any:
    from selenium.webdriver.common.by import By

    for item in items(driver):
        if item.find_element(By.CSS_SELECTOR, ".title").text == title:
            return item
    return None


def shows(title: str) -> Any:
    return lambda d: item_titled(d, title) is not None


def plan_week(driver: Any, base: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    wait_for(driver, lambda d: d.find_element(By.ID, "new-shift").is_displayed(), "planner")
    for day, title, capacity in WEEK:
        driver.find_element(By.ID, "new-shift").click()
        wait_for(driver, lambda d: d.find_element(By.ID, "editor").get_attribute("open")
                 is not None, "editor open")
        set_value(driver, "f-title", title)
        Select(driver.find_element(By.ID, "f-team")).select_by_visible_text("Jaksel")
        set_value(driver, "f-start", f"{day}T08:00")
        set_value(driver, "f-end", f"{day}T11:00")
        set_value(driver, "f-capacity", str(capacity))
        set_value(driver, "f-place", "Pasar <i>Tebet</i>")
        driver.find_element(By.ID, "f-save").click()
        wait_for(driver, shows(title), f"shift {title}")
    # A bad form is refused with the chat's own words, and nothing is added.
    driver.find_element(By.ID, "new-shift").click()
    set_value(driver, "f-title", "Too early")
    set_value(driver, "f-start", "2026-11-27T12:00")
    set_value(driver, "f-end", "2026-11-27T09:00")
    driver.find_element(By.ID, "f-save").click()
    expected = to_plain(I18N.t("en", "shifts.end_before_start"))
    wait_for(driver, lambda d: d.find_element(By.ID, "editor-error").text == expected,
             "end-before-start refusal")
    driver.find_element(By.ID, "f-close").click()
    assert len(items(driver)) == 3
    hostile = item_titled(driver, HOSTILE)
    assert hostile.find_elements(By.CSS_SELECTOR, "b, script") == []  # text, never markup
    first = item_titled(driver, "Door-knocking Tebet")
    assert "0/1" in first.text and "fill-low" in (first.get_attribute("class") or "")
    assert to_plain(I18N.t("en", "webapp.understaffed")) in first.text
    screenshot(driver, "webapp-planner.png", tmp_path)
    driver.set_window_size(1200, 760)  # the same week on a laptop: seven columns
    wait_for(driver, lambda d: d.find_element(By.ID, "week").size["width"] > 1000, "wide")
    screenshot(driver, "webapp-planner-week.png", tmp_path)
    driver.set_window_size(390, 844)


def claim_in_chat(driver: Any, web_url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{web_url}/chat/?user={VOLUNTEER}&name=Ani&lang=en")
    box = wait_for(driver, lambda d: d.find_element(By.ID, "text"), "chat composer")
    box.send_keys("/shifts\n")

    def listing(d: Any) -> Any:
        for message in d.find_elements(By.CSS_SELECTOR, ".msg"):
            if "Door-knocking Tebet" in message.text and message.find_elements(
                By.CSS_SELECTOR, ".buttons button"
            ):
                return message
        return None

    shifts = wait_for(driver, listing, "the bot's /shifts list with buttons")
    buttons = shifts.find_elements(By.CSS_SELECTOR, ".buttons button")
    next(b for b in buttons if "Door-knocking Tebet" in b.text).click()

    def claimed(d: Any) -> bool:
        return any("You're on this shift" in m.text for m in d.find_elements(By.CSS_SELECTOR,
                                                                              ".msg"))

    wait_for(driver, claimed, "the claim confirmed in the chat")


def planner_shows_filled(driver: Any, url: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    open_app(driver, url)

    def filled(d: Any) -> bool:
        item = item_titled(d, "Door-knocking Tebet")
        return item is not None and "1/1" in item.text and "fill-full" in (
            item.get_attribute("class") or "")

    wait_for(driver, filled, "the planner shows the shift filled")
    driver.find_element(By.ID, "tab-dashboard").click()
    wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#dash .tile")) >= 4,
             "dashboard tiles")
    screenshot(driver, "webapp-dashboard.png", tmp_path)
    driver.find_element(By.ID, "tab-people").click()
    wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#people-list .person"))
             >= 5, "people")
    screenshot(driver, "webapp-people.png", tmp_path)
    driver.find_element(By.ID, "tab-broadcast").click()
    wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#bc-audience option"))
             > 1, "audiences")
    from selenium.webdriver.support.ui import Select

    driver.find_element(By.ID, "bc-text").send_keys("Rapat besok jam 19:00 <b>penting</b>")
    Select(driver.find_element(By.ID, "bc-audience")).select_by_visible_text("Team Jaksel")
    driver.find_element(By.ID, "bc-check").click()
    wait_for(driver, lambda d: d.find_element(By.ID, "bc-count").text == "Recipients: 3",
             "exact recipient count")
    assert driver.find_element(By.ID, "bc-preview").text == (
        "Rapat besok jam 19:00 <b>penting</b>")
    screenshot(driver, "webapp-broadcast.png", tmp_path)


async def test_plan_in_the_app_claim_in_the_chat_planner_shows_it_filled(
    tmp_path: Path,
) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        await seed_campaign(bot)
        web = await start_web(bot.app, "127.0.0.1", 0, pages=browser_chat(bot.app, bot.sandbox))
        try:
            signer = WebClient(bot, web, None)  # type: ignore[arg-type]  # signing only
            url = app_url(web.url, signer.init_data(COORDINATOR))

            def scenario() -> None:
                with chromium(tmp_path / "profile") as driver:
                    open_app(driver, url)
                    plan_week(driver, web.url, tmp_path)
                    claim_in_chat(driver, web.url)
                    screenshot(driver, "sandbox-chat.png", tmp_path)
                    planner_shows_filled(driver, url, tmp_path)
                    open_app(driver, app_url(web.url, signer.init_data(VOLUNTEER)))
                    from selenium.webdriver.common.by import By

                    wait_for(driver, lambda d: "Door-knocking Tebet" in d.find_element(
                        By.ID, "my-mine").text, "the volunteer's own shift")
                    screenshot(driver, "webapp-volunteer.png", tmp_path)

            await asyncio.to_thread(scenario)
        finally:
            await web.stop()
        async with bot.db() as session:
            rows = (await session.execute(select(Shift.title, Shift.taken, Shift.capacity)
                                          .order_by(Shift.starts_at))).all()
            assert [tuple(r) for r in rows] == [
                ("Door-knocking Tebet", 1, 1), ("Flyers Pasar Minggu", 0, 4), (HOSTILE, 0, 2)]


async def test_forged_init_data_is_refused_and_the_page_reads_indonesian(
    tmp_path: Path,
) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        await seed_campaign(bot)
        async with bot.db.begin() as session:
            lead = await session.scalar(select(Person).where(Person.telegram_id == LEAD))
            assert lead is not None
            lead.language = "id"
        web = await start_web(bot.app, "127.0.0.1", 0)
        try:
            signer = WebClient(bot, web, None)  # type: ignore[arg-type]
            forged = signer.init_data(VOLUNTEER).replace("Ani", "Admin")

            def scenario() -> None:
                from selenium.webdriver.common.by import By

                with chromium(tmp_path / "profile") as driver:
                    open_app(driver, app_url(web.url, forged))
                    refused = to_plain(I18N.t("en", "webapp.auth_failed"))
                    wait_for(driver, lambda d: d.find_element(By.ID, "status").text == refused,
                             "the refusal")
                    assert driver.find_elements(By.CSS_SELECTOR, "#tabs button") == []
                    open_app(driver, app_url(web.url, signer.init_data(LEAD, language="id")))
                    planner_tab = to_plain(I18N.t("id", "webapp.tab_planner"))
                    wait_for(driver, lambda d: d.find_element(By.ID, "tab-planner").text
                             == planner_tab, "Indonesian tabs")
                    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "id"
                    assert driver.find_element(By.ID, "new-shift").text == "+ Shift"
                    driver.find_element(By.ID, "new-shift").click()
                    set_value(driver, "f-title", "Bagi brosur")
                    set_value(driver, "f-capacity", "0")
                    driver.find_element(By.ID, "f-save").click()
                    expected = to_plain(I18N.t("id", "shifts.bad_capacity", max=10_000))
                    wait_for(driver, lambda d: d.find_element(By.ID, "editor-error").text
                             == expected, "the Indonesian refusal")
                    screenshot(driver, "webapp-planner-id.png", tmp_path)

            await asyncio.to_thread(scenario)
        finally:
            await web.stop()
        async with bot.db() as session:
            assert (await session.execute(select(Shift.id))).first() is None


async def test_the_page_survives_a_restart_of_the_bot(tmp_path: Path) -> None:
    """The web server goes away under an open planner: it says so, then carries on."""
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        await seed_campaign(bot)
        web = await start_web(bot.app, "127.0.0.1", 0)
        port = int(web.url.rsplit(":", 1)[1])
        signer = WebClient(bot, web, None)  # type: ignore[arg-type]
        url = app_url(web.url, signer.init_data(COORDINATOR))
        offline = to_plain(I18N.t("en", "webapp.offline"))
        stage: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def scenario() -> None:
            from selenium.webdriver.common.by import By

            with chromium(tmp_path / "profile") as driver:
                open_app(driver, url)
                wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#week .day"),
                         "planner")
                loop.call_soon_threadsafe(stage.put_nowait, "loaded")
                wait_for(driver, lambda d: d.find_element(By.ID, "status").text == offline,
                         "the offline notice")
                loop.call_soon_threadsafe(stage.put_nowait, "offline seen")
                wait_for(driver, lambda d: d.find_element(By.ID, "status").text != offline,
                         "back online")
                week = driver.find_element(By.ID, "week-label").text
                assert week.startswith("Week of")

        browsing = asyncio.ensure_future(asyncio.to_thread(scenario))

        async def reached() -> str:
            """The browser's next stage, or its failure if it fails first."""
            waiting = asyncio.ensure_future(stage.get())
            await asyncio.wait({waiting, browsing}, return_when=asyncio.FIRST_COMPLETED)
            if not waiting.done():
                waiting.cancel()
                browsing.result()  # raises what went wrong in the browser
            return waiting.result()

        assert await reached() == "loaded"
        await web.stop()  # the bot's web server restarts: the page is left talking to nobody
        assert await reached() == "offline seen"
        web = await start_web(bot.app, "127.0.0.1", port)
        try:
            await browsing
        finally:
            await web.stop()
