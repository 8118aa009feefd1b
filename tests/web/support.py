"""Driving the Mini App's API over real HTTP, against the real bot and database.

`WebClient` signs initData exactly as Telegram does (with the harness's bot token) for any
person, so a test is that person's Mini App: the same header, the same JSON.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.web.initdata import sandbox_init_data
from bot.web.server import RunningWeb, start_web
from models import Membership, Person, Role, Team
from tests.support.harness import TOKEN, BotHarness


@dataclass
class Answer:
    status: int
    body: Any

    @property
    def message(self) -> str:
        return str(self.body.get("message", "")) if isinstance(self.body, dict) else ""


@dataclass
class WebClient:
    bot: BotHarness
    web: RunningWeb
    http: aiohttp.ClientSession

    def init_data(self, user_id: int, name: str = "", language: str = "en") -> str:
        first_name = name or NAMES.get(user_id, f"User{user_id}")
        user = {"id": user_id, "first_name": first_name, "language_code": language}
        return sandbox_init_data(user, TOKEN, now=self.bot.clock.now())

    async def call(
        self,
        method: str,
        path: str,
        *,
        user: int | None = None,
        language: str = "en",
        body: Any = None,
        init_data: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        data = init_data if init_data is not None else (
            self.init_data(user, language=language) if user is not None else None
        )
        if data is not None:
            sent["Authorization"] = f"tma {data}"
        payload: bytes | None = raw
        if payload is None and method != "GET":
            payload = json.dumps(body if body is not None else {}).encode()
            sent.setdefault("Content-Type", "application/json")
        async with self.http.request(
            method, f"{self.web.url}/app{path}", data=payload, headers=sent
        ) as response:
            text = await response.text()
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
            return Answer(response.status, parsed)


@asynccontextmanager
async def web_client(bot: BotHarness) -> AsyncIterator[WebClient]:
    running = await start_web(bot.app, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            yield WebClient(bot, running, http)
    finally:
        await running.stop()


ADMIN = 1
COORDINATOR = 10
LEAD = 20
OTHER_LEAD = 21
VOLUNTEER = 30
VOLUNTEER_2 = 31
NAMES = {ADMIN: "Admin", COORDINATOR: "Cora", LEAD: "Lina", OTHER_LEAD: "Bima",
         VOLUNTEER: "Ani", VOLUNTEER_2: "Budi"}


async def seed_campaign(bot: BotHarness) -> dict[str, int]:
    """Two teams; a coordinator, a lead of each, two volunteers of Jaksel (ids above)."""
    async with bot.db.begin() as session:
        jaksel = Team(name="Jaksel", name_key="jaksel")
        bogor = Team(name="Bogor", name_key="bogor")
        session.add_all([jaksel, bogor])
        await session.flush()
        people = [
            (ADMIN, "Admin", Role.ADMIN, None, False),
            (COORDINATOR, "Cora", Role.COORDINATOR, None, False),
            (LEAD, "Lina", Role.LEAD, jaksel.id, True),
            (OTHER_LEAD, "Bima", Role.LEAD, bogor.id, True),
            (VOLUNTEER, "Ani", Role.VOLUNTEER, jaksel.id, False),
            (VOLUNTEER_2, "Budi", Role.VOLUNTEER, jaksel.id, False),
        ]
        for tid, name, role, team_id, lead in people:
            person = Person(telegram_id=tid, first_name=name, role=role, language="en",
                            memberships=[])
            session.add(person)
            await session.flush()
            if team_id is not None:
                session.add(Membership(person_id=person.id, team_id=team_id, is_lead=lead))
        return {"jaksel": jaksel.id, "bogor": bogor.id}
