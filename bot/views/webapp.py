"""The "📅 Plan in the app" button under a shift's or an event's card.

A `web_app` button (Telegram opens the Mini App inside the chat) at the item's week and
team: `?start=<Monday>&team=<id>`, which the planner page reads on start.  A query, not a
fragment: Telegram puts its own launch parameters (`#tgWebAppData=...`) in the fragment.
Whether to show it (a private chat, a bot whose web app runs, a person who plans) is the
handler's to decide; this only draws it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.views.render import Button, Reader


def planner_link(base_url: str, reader: Reader, starts_at: datetime, team_id: int | None) -> str:
    day = starts_at.astimezone(ZoneInfo(reader.tz)).date()
    monday = day - timedelta(days=day.weekday())
    query = {"start": monday.isoformat(), **({"team": str(team_id)} if team_id else {})}
    return f"{base_url}{'&' if '?' in base_url else '?'}{urlencode(query)}"


def plan_button(
    base_url: str, reader: Reader, starts_at: datetime, team_id: int | None
) -> Button:
    return Button(reader.t("webapp.open_plan"),
                  web_app=planner_link(base_url, reader, starts_at, team_id))
