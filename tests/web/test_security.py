"""Who may call what: initData checked by HMAC and age, chat permissions on every endpoint.

Forged, expired, altered or missing initData → 401 and nothing changes; a volunteer's
valid initData on any coordinator endpoint → 403 and nothing changes; writes take JSON
only (a cross-site form cannot post), and no cookie is ever set.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import func, select

from bot.services.authz import Permission
from bot.web.api import ENDPOINTS
from bot.web.initdata import InitDataError, sandbox_init_data, sign, validate
from models import AuditEntry, Broadcast, Event, Person, Shift
from tests.support.harness import T0, TOKEN, BotHarness, start_harness
from tests.web.support import COORDINATOR, VOLUNTEER, seed_campaign, web_client

DAY = timedelta(days=1)


def test_validate_accepts_telegrams_signature_and_refuses_every_change() -> None:
    user = {"id": 42, "first_name": "Ani", "language_code": "id"}
    good = sandbox_init_data(user, TOKEN, now=T0)
    assert validate(good, TOKEN, now=T0, max_age=DAY).id == 42
    fields = dict(parse_qsl(good))
    # Each field altered, the hash kept: refused.
    for key, value in [("user", fields["user"].replace("42", "1")),
                       ("auth_date", str(int(fields["auth_date"]) + 60)),
                       ("query_id", "other")]:
        with pytest.raises(InitDataError):
            validate(urlencode({**fields, key: value}), TOKEN, now=T0, max_age=DAY)
    with pytest.raises(InitDataError, match="bad hash"):  # another bot's token
        validate(good, "999:" + "x" * 35, now=T0, max_age=DAY)
    with pytest.raises(InitDataError, match="expired"):
        validate(good, TOKEN, now=T0 + DAY + timedelta(seconds=1), max_age=DAY)
    with pytest.raises(InitDataError, match="future"):
        validate(sandbox_init_data(user, TOKEN, now=T0 + timedelta(hours=1)), TOKEN, now=T0,
                 max_age=DAY)
    with pytest.raises(InitDataError, match="twice"):
        validate(good + "&user=" + fields["user"], TOKEN, now=T0, max_age=DAY)
    with pytest.raises(InitDataError, match="no user"):
        validate(sign({"auth_date": fields["auth_date"], "user": "{}"}, TOKEN), TOKEN, now=T0,
                 max_age=DAY)
    for junk in ["", "hash=", "a" * 5000, "%zz", "user=1&hash=abc"]:
        with pytest.raises(InitDataError):
            validate(junk, TOKEN, now=T0, max_age=DAY)


def _path(template: str, ids: dict[str, int]) -> str:
    for prefix, key in (("/api/shifts/", "shift"), ("/api/events/", "event"),
                        ("/api/people/", "person"), ("/api/broadcasts/", "broadcast")):
        if template.startswith(prefix + "{id}"):
            return template.replace("{id}", str(ids[key]))
    return template


async def _state(bot: BotHarness) -> tuple[object, ...]:
    """Everything an endpoint could change, to compare before and after."""
    async with bot.db() as session:
        shifts = (await session.execute(
            select(Shift.id, Shift.capacity, Shift.status, Shift.updated_at, Shift.taken))).all()
        events = (await session.execute(
            select(Event.id, Event.status, Event.updated_at))).all()
        people = (await session.execute(select(Person.id, Person.role))).all()
        broadcasts = (await session.execute(
            select(Broadcast.id, Broadcast.status, Broadcast.audience))).all()
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
        return (tuple(shifts), tuple(events), tuple(people), tuple(broadcasts), audits)


async def test_matrix_every_endpoint_refuses_strangers_and_volunteers(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            shift = await web.call("POST", "/api/shifts", user=COORDINATOR, body={
                "team_id": teams["jaksel"], "title": "Door", "starts_at": "2026-11-27T08:00",
                "ends_at": "2026-11-27T11:00", "capacity": 3})
            event = await web.call("POST", "/api/events", user=COORDINATOR, body={
                "title": "Rally", "starts_at": "2026-11-28T08:00", "ends_at": "2026-11-28T11:00"})
            draft = await web.call("POST", "/api/broadcasts", user=COORDINATOR,
                                   body={"text": "hi"})
            async with bot.db() as session:
                person = await session.scalar(
                    select(Person.id).where(Person.telegram_id == VOLUNTEER))
            assert person is not None
            ids = {"shift": shift.body["id"], "event": event.body["id"], "person": int(person),
                   "broadcast": draft.body["id"]}
            bodies = {
                "PUT": {"version": shift.body["version"], "capacity": 9},
                "POST": {"version": shift.body["version"], "title": "X", "text": "x",
                         "audience": "all", "role": "coordinator", "capacity": 2,
                         "starts_at": "2026-11-27T08:00", "ends_at": "2026-11-27T09:00"},
            }
            coordinator_only = [ep for ep in ENDPOINTS
                                if ep.permission not in (None, Permission.VOLUNTEER)]
            assert len(coordinator_only) >= 14
            before = await _state(bot)
            forged = web.init_data(VOLUNTEER).replace("Ani", "Adm")
            expired = sandbox_init_data({"id": COORDINATOR, "first_name": "Cora"}, TOKEN,
                                        now=T0 - timedelta(days=2))
            altered = dict(parse_qsl(web.init_data(VOLUNTEER)))
            altered["user"] = altered["user"].replace(str(VOLUNTEER), str(COORDINATOR))
            for ep in ENDPOINTS:
                path = _path(ep.path, ids)
                body = bodies.get(ep.method)
                nobody = await web.call(ep.method, path, body=body)
                assert nobody.status == 401, (ep.method, path, nobody.body)
                for bad in (forged, expired, urlencode(altered), "query_id=1&hash=00"):
                    answer = await web.call(ep.method, path, body=body, init_data=bad)
                    assert answer.status == 401, (ep.method, path, bad[:30])
                if ep in coordinator_only:
                    answer = await web.call(ep.method, path, user=VOLUNTEER, body=body)
                    assert answer.status == 403, (ep.method, path, answer.body)
                    assert answer.body["error"] == "error.not_allowed"
            assert await _state(bot) == before  # nothing changed by any refused call


async def test_writes_are_json_only_and_no_cookie_is_set(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}") as bot:
        teams = await seed_campaign(bot)
        async with web_client(bot) as web:
            form = await web.call(
                "POST", "/api/shifts", user=COORDINATOR,
                raw=f"team_id={teams['jaksel']}&title=X&capacity=3".encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert form.status == 415
            plain = await web.call("POST", "/api/shifts", user=COORDINATOR, raw=b"{}",
                                   headers={"Content-Type": "text/plain"})
            assert plain.status == 415
            broken = await web.call("POST", "/api/shifts", user=COORDINATOR, raw=b"{nope")
            assert broken.status == 415 or broken.status == 400
            listed = await web.call("POST", "/api/shifts", user=COORDINATOR, raw=b"[1]",
                                    headers={"Content-Type": "application/json"})
            assert listed.status == 400
            async with web.http.get(f"{web.web.url}/app/") as page:
                assert page.status == 200
                assert "Set-Cookie" not in page.headers
                assert "frame-ancestors" in page.headers["Content-Security-Policy"]
            async with web.http.get(
                f"{web.web.url}/app/api/me",
                headers={"Authorization": f"tma {web.init_data(COORDINATOR)}"},
            ) as me:
                assert me.status == 200 and "Set-Cookie" not in me.headers
            # The initData travels in a header only: in the query string it is not read.
            async with web.http.get(
                f"{web.web.url}/app/api/me?{web.init_data(COORDINATOR)}"
            ) as query:
                assert query.status == 401
        async with bot.db() as session:
            assert await session.scalar(select(func.count()).select_from(Shift)) == 0
