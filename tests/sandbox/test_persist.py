"""The sandbox remembers its people across restarts (`sandbox.persist`): names, languages,
the chats and their recent messages, kept in a file next to the bot's database; `--fresh`
starts empty; the terminal and the browser chat list who it knows."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.config import Settings
from bot.db import create_engine
from models import Person
from sandbox import SandboxServer, UserSpec
from sandbox.chat import ChatPage
from sandbox.persist import WorldFile, kept_world
from sandbox.standalone import run_bot_in_sandbox, sandbox_state_path
from sandbox.world import SandboxWorld
from tests.sandbox.conftest import TOKEN
from tests.support.databases import create_schema

SARI = UserSpec(5, "Sari", username="sari_jkt", language_code="id")


def _world_with_people() -> SandboxWorld:
    world = SandboxWorld("gotong_bot")
    world.send_text(SARI, "/start")
    chat = world.private_chat(SARI)
    world.add_message(chat, sender=world.bot_user(), from_bot=True,
                      content={"text": "Halo, Sari!",
                               "reply_markup": {"inline_keyboard": [[{"text": "Shift",
                                                                      "callback_data": "x"}]]}},
                      sandbox_html="Halo, <b>Sari</b>!")
    world.send_text(UserSpec(6, "Budi", language_code="en"), "hi")
    group = world.group_chat(-100123, "Relawan Jaksel")
    group.bot_removed = True
    return world


def test_the_world_comes_back_whole_from_its_file(tmp_path: Path) -> None:
    path = tmp_path / "gotong.sandbox.json"
    world = _world_with_people()
    assert WorldFile(path).save(world)
    again = SandboxWorld("gotong_bot")
    assert WorldFile(path).load(again)
    assert again.users[5] == SARI and again.users[6].language_code == "en"
    sari = again.messages(5)
    assert [m.text for m in sari] == ["/start", "Halo, Sari!"]
    assert sari[1].from_bot and sari[1].button_texts == ["Shift"]
    assert sari[1].html == "Halo, <b>Sari</b>!"
    assert again.chats[-100123].title == "Relawan Jaksel" and again.chats[-100123].bot_removed
    # Message ids and update ids go on from where they were: the bot's database refers to
    # messages by id, and remembers the update ids it handled.
    assert again.send_text(SARI, "lagi").message_id == 3
    assert again.next_update_id > world.next_update_id - 1
    # Only recent messages are kept.
    for n in range(5):
        world.send_text(SARI, f"m{n}")
    WorldFile(path, recent=3).save(world)
    trimmed = SandboxWorld("gotong_bot")
    WorldFile(path).load(trimmed)
    assert [m.text for m in trimmed.messages(5)] == ["m2", "m3", "m4"]
    assert trimmed.send_text(SARI, "next").message_id == 8


def test_a_save_replaces_the_file_whole_and_only_when_something_changed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state" / "gotong.sandbox.json"
    world = _world_with_people()
    store = WorldFile(path)
    assert store.save(world) and not store.save(world)
    world.send_text(SARI, "baru")
    assert store.save(world)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left
    assert json.loads(path.read_text(encoding="utf-8"))["users"][0]["first_name"] == "Sari"


def test_an_unreadable_file_is_kept_aside_and_the_sandbox_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "gotong.sandbox.json"
    path.write_text('{"version": 1, "users": [', encoding="utf-8")
    world = SandboxWorld("gotong_bot")
    assert not WorldFile(path).load(world)
    assert not world.users and not path.exists()
    assert (tmp_path / "gotong.sandbox.json.unreadable").read_text().startswith('{"version"')


async def test_fresh_starts_empty_and_the_file_follows(tmp_path: Path) -> None:
    path = tmp_path / "gotong.sandbox.json"
    WorldFile(path).save(_world_with_people())
    world = SandboxWorld("gotong_bot")
    async with kept_world(world, path, fresh=True):
        assert not world.users
        world.send_text(UserSpec(9, "Dewi", language_code="id"), "/start")
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert [u["first_name"] for u in kept["users"]] == ["Dewi"]
    async with kept_world(SandboxWorld("gotong_bot"), None) as nothing:
        assert nothing is None


def test_the_file_sits_next_to_the_bots_database(tmp_path: Path) -> None:
    def at(**values: str) -> Path | None:
        return sandbox_state_path(Settings(_env_file=None, **values))  # type: ignore[call-arg,arg-type]

    assert at() == Path("gotong.sandbox.json")  # next to the default gotong.sqlite3
    db = tmp_path / "data" / "campaign.db"
    assert at(database_url=f"sqlite+aiosqlite:///{db}") == db.with_name("campaign.sandbox.json")
    assert at(database_url="postgresql+asyncpg://u@h/gotong") == Path("gotong.sandbox.json")
    assert at(sandbox_state="off") is None
    assert at(sandbox_state=str(tmp_path / "w.json")) == tmp_path / "w.json"


@pytest.fixture
async def loaded_page(tmp_path: Path) -> AsyncIterator[str]:
    path = tmp_path / "gotong.sandbox.json"
    WorldFile(path).save(_world_with_people())
    server = SandboxServer()
    await server.start()
    WorldFile(path).load(server.world)
    runner = web.AppRunner(ChatPage(server, token=TOKEN, admin_id=1, now=lambda: _never()).app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await server.stop()


def _never() -> datetime:
    raise AssertionError("the people list signs nothing")


async def test_the_browser_chat_lists_the_people_it_remembers(loaded_page: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{loaded_page}/api/people") as answer:
            people = {p["user_id"]: p for p in (await answer.json())["people"]}
        async with http.post(f"{loaded_page}/api/proxy/messages", json={"chat_id": 5}) as answer:
            history = [m["text"] for m in (await answer.json())["result"]]
    assert (people[5]["first_name"], people[5]["language_code"]) == ("Sari", "id")
    assert (people[6]["first_name"], people[6]["language_code"]) == ("Budi", "en")
    assert history == ["/start", "Halo, Sari!"]


async def _run(settings: Settings, script: str, *, fresh: bool = False) -> str:
    screen = io.StringIO()
    await run_bot_in_sandbox(settings, fresh=fresh, stdin=io.StringIO(script), stdout=screen)
    return screen.getvalue()


async def test_python_m_bot_restarted_still_knows_sari_and_budi(tmp_path: Path) -> None:
    """`python -m bot` without a token, twice on one database: the second run's sandbox
    still has Sari (Indonesian) and Budi (English), so the bot greets them back by name in
    their languages and its database keeps their names."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'gotong.sqlite3'}"
    engine = create_engine(url)
    await create_schema(engine)
    await engine.dispose()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=url, admin_ids=[1], default_language="id",
        auto_migrate=False,
    )
    # Each picks their language on the first /start (!1 Bahasa Indonesia, !2 English).
    first = await _run(settings, "/as 5 Sari id\n/start\n!1\n/as 6 Budi en\n/start\n!2\n")
    assert "👋 Halo, Sari!" in first and "👋 Hello, Budi!" in first
    assert (tmp_path / "gotong.sandbox.json").is_file()

    second = await _run(settings, "/as 5\n:people\n/start\n/as 6\n/start\n")
    assert "(you are now Sari, id 5)" in second and "(you are now Budi, id 6)" in second
    assert "  5 Sari (id) <- you" in second and "  6 Budi (en)" in second
    assert "[bot -> Sari (5) #4]\n👋 Selamat datang kembali, Sari." in second  # ids go on
    assert "[bot -> Budi (6) #4]\n👋 Welcome back, Budi." in second
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(Person.telegram_id, Person.first_name, Person.telegram_language)
                    .order_by(Person.telegram_id)
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows if r[0] in (5, 6)] == [(5, "Sari", "id"), (6, "Budi", "en")]

    fresh = await _run(settings, "/as 5\n:people\n", fresh=True)
    assert "(you are now User 5, id 5)" in fresh and "Sari" not in fresh
