"""How the "places left" posts, the series posts of a repeated shift and the morning digest
look in a team's group chat (outbox renderers, written at send time in the campaign's
language), and which look an edited post takes (`post_for`).

Nothing personal: the work, its time and place, places taken and free; never a name.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.kinds import GROUP_DIGEST, GROUP_PLACES_LEFT, GROUP_SERIES_POST
from bot.delivery.renderers import Renderer
from bot.services.reach import group_digest, group_news
from bot.services.reach.group_digest import DigestItem
from bot.services.reach.posts import GroupEvent, PostEdit, SeriesView
from bot.services.shifts.common import ShiftView
from bot.views.formatting import format_date, format_time
from bot.views.groups import GroupClaim, group_post
from bot.views.render import Button, Keyboard, Outgoing, Reader
from models import OutboxMessage, Person

SERIES_CLAIM_DAYS = 7  # a series post offers Claim for the occurrences this near
SERIES_MAX_BUTTONS = 8
BUTTONS_PER_ROW = 2


def _day_offset(reader: Reader, moment: datetime) -> int:
    zone = ZoneInfo(reader.tz)
    return (moment.astimezone(zone).date() - reader.now.astimezone(zone).date()).days


def _short_day(reader: Reader, moment: datetime) -> str:
    return format_date(moment, reader.lang, reader.tz, with_year=False)


def _what(reader: Reader, view: ShiftView) -> str:
    """ "tomorrow's <b>Door-knocking</b> 08:00" (the day as the group would say it)."""
    at = format_time(view.starts_at, reader.lang, reader.tz)
    days = _day_offset(reader, view.starts_at)
    if days == 0:
        return reader.t("groups.left_today", title=view.title, time=at)
    if days == 1:
        return reader.t("groups.left_tomorrow", title=view.title, time=at)
    return reader.t("groups.left_on", title=view.title, day=_short_day(reader, view.starts_at),
                    time=at)


def places_left_post(reader: Reader, view: ShiftView) -> Outgoing:
    """ "⏳ 2 places left for tomorrow's Door-knocking 08:00, Pasar Tebet" and Claim; once
    it filled, started or was cancelled, that, without the button."""
    when = reader.time_range(view.starts_at, view.ends_at)
    if view.cancelled:
        return Outgoing(reader.t("groups.left_cancelled", title=view.title, when=when))
    if view.starts_at <= reader.now:
        return Outgoing(reader.t("groups.left_started", title=view.title, when=when))
    if view.free == 0:
        return Outgoing(reader.t("groups.left_full", title=view.title, when=when))
    text = reader.t("groups.left_post", free=view.free, what=_what(reader, view),
                    place=view.place or "—")
    if view.skill_name:
        text += "\n" + reader.t("groups.post_skill", skill=view.skill_name)
    return Outgoing(text, [[Button(reader.t("groups.btn_claim"), GroupClaim(view.id).pack())]])


def _series_line(reader: Reader, view: ShiftView) -> str:
    when = reader.time_range(view.starts_at, view.ends_at)
    if view.cancelled:
        return reader.t("groups.series_line_cancelled", when=when)
    if view.starts_at <= reader.now:
        return reader.t("groups.series_line_started", when=when)
    if view.free == 0:
        return reader.t("groups.series_line_full", when=when)
    return reader.t("groups.series_line", when=when, taken=view.taken, capacity=view.capacity)


def _claimable(reader: Reader, view: ShiftView) -> bool:
    return (not view.cancelled and view.free > 0 and view.starts_at > reader.now
            and _day_offset(reader, view.starts_at) <= SERIES_CLAIM_DAYS)


def series_post(reader: Reader, series: SeriesView) -> Outgoing:
    """One post for a repeated shift: every occurrence with its fill level, and a Claim
    button (labelled with its day) for each near one still open."""
    first = series.shifts[0]
    text = [reader.t("groups.series_post", title=first.title, team=first.team_name or "",
                     count=len(series.shifts), place=first.place or "—")]
    text += [_series_line(reader, view) for view in series.shifts]
    buttons = [
        Button(reader.t("groups.btn_claim_on", day=_short_day(reader, view.starts_at)),
               GroupClaim(view.id).pack())
        for view in series.shifts if _claimable(reader, view)
    ][:SERIES_MAX_BUTTONS]
    if buttons:
        text.append(reader.t("groups.series_claim_hint"))
    keyboard: Keyboard = [buttons[i:i + BUTTONS_PER_ROW]
                          for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return Outgoing("\n".join(text), keyboard)


def post_for(reader: Reader, edit: PostEdit) -> Outgoing:
    """What an edited post shows now, in the look of its kind."""
    if isinstance(edit.post, SeriesView):
        return series_post(reader, edit.post)
    if edit.kind == "left" and not isinstance(edit.post, GroupEvent):
        return places_left_post(reader, edit.post)
    return group_post(reader, edit.post)


# ---- the morning digest --------------------------------------------------------------
def _digest_line(reader: Reader, item: DigestItem) -> str:
    when = reader.time_range(item.starts_at, item.ends_at)
    key = "groups.digest_event" if item.is_event else "groups.digest_shift"
    line = reader.t(key, title=item.title, when=when, place=item.place or "—")
    if item.capacity is None:
        fill = reader.t("groups.digest_going", going=item.taken)
    elif item.taken >= item.capacity:
        fill = reader.t("groups.digest_full", capacity=item.capacity)
    else:
        fill = reader.t("groups.digest_fill", taken=item.taken, capacity=item.capacity,
                        free=item.capacity - item.taken)
    return f"{line}\n   {fill}"


def digest_post(reader: Reader, digest: group_digest.GroupDigest) -> Outgoing:
    """Today's and tomorrow's work of the team with its open places; nothing personal."""
    text = [reader.t("groups.digest_title", team=digest.team_name)]
    for label, items in ((reader.t("groups.digest_today", day=_short_day(reader, reader.now)),
                          digest.today),
                         (reader.t("groups.digest_tomorrow"), digest.tomorrow)):
        text.append("")
        text.append(label)
        text += [_digest_line(reader, item) for item in items] or [
            reader.t("groups.digest_nothing")]
    if digest.open_places:
        text += ["", reader.t("groups.digest_open", count=digest.open_places)]
    return Outgoing("\n".join(text))


# ---- outbox renderers -------------------------------------------------------------------
async def render_places_left(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    view = await group_news.places_left_to_send(session, row, reader.now)
    return None if view is None else places_left_post(reader, view)


async def render_series(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    series = await group_news.series_to_send(session, row, reader.now)
    return None if series is None else series_post(reader, series)


async def render_digest(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    digest = await group_digest.digest_to_send(session, row, reader.now, reader.tz)
    return None if digest is None else digest_post(reader, digest)


RENDERERS: dict[str, Renderer] = {
    GROUP_PLACES_LEFT.name: render_places_left,
    GROUP_SERIES_POST.name: render_series,
    GROUP_DIGEST.name: render_digest,
}
