"""Progress as text: /summary and its drill-down buttons, goal lines, an event's attendance, /me.

The numbers come from `bot.services.progress.summary` and `.goals` as frozen data; this
module only words them (in the reader's language) and builds the typed buttons, so the
web dashboard can reuse the same data without any of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people.members import Actor
from bot.services.progress.goals import GoalProgress, GoalSet, rounded_up
from bot.services.progress.summary import EventDetail, PersonRecord, Summary, me_record
from bot.views.autopilot import forecast_line
from bot.views.callbacks import CallbackData, callback
from bot.views.feedback import event_line as feedback_event_line
from bot.views.feedback import summary_line as feedback_summary_line
from bot.views.formatting import progress_bar
from bot.views.i18n import Html, escape
from bot.views.people import ProfileSection, reliability_line
from bot.views.render import Button, Reader, truncate


# ---- the drill-down buttons ------------------------------------------------------------------
@callback("sdt")
@dataclass(frozen=True, slots=True)
class SummaryTeam(CallbackData):
    """One team's summary in place of the campaign's."""

    team_id: int


@callback("sde")
@dataclass(frozen=True, slots=True)
class SummaryEvent(CallbackData):
    """One event's attendance in place of the summary."""

    event_id: int


@callback("sda")
@dataclass(frozen=True, slots=True)
class SummaryAll(CallbackData):
    """Back to the (campaign or the lead's) summary."""


def _rows(buttons: Sequence[Button], per_row: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def back_keyboard(reader: Reader) -> list[list[Button]]:
    return [[Button(reader.t("progress.back"), SummaryAll().pack())]]


def summary_keyboard(reader: Reader, s: Summary, *, back: bool) -> list[list[Button]]:
    buttons = [
        Button(reader.t("progress.btn_team", name=truncate(name, 24)), SummaryTeam(team_id).pack())
        for team_id, name in s.teams
    ]
    buttons += [
        Button(
            reader.t("progress.btn_event", title=truncate(title, 24)), SummaryEvent(event_id).pack()
        )
        for event_id, title, _ in s.upcoming
    ]
    rows = _rows(buttons)
    if back:
        rows += back_keyboard(reader)
    return rows


# ---- goals -----------------------------------------------------------------------------------
def goal_label(reader: Reader, goal: GoalProgress) -> str:
    key = f"progress.metric.{goal.metric}"
    name = reader.t(key) if reader.i18n.has(key) else goal.metric
    return f"{name} ({goal.team_name})" if goal.team_name else name


def goal_line(reader: Reader, goal: GoalProgress) -> str:
    """`doors ▓▓▓▓░░░░░░ 42% · 4.200/10.000 · 120/day needed` on one line."""
    pace = ""
    if goal.done:
        pace = reader.t("progress.goal_reached")
    elif goal.per_day_needed is not None:
        per_day = goal.per_day_needed
        pace = (
            reader.t("progress.pace_day", n=reader.number(rounded_up(per_day)))
            if per_day >= 1
            else reader.t("progress.pace_week", n=reader.number(rounded_up(per_day * 7)))
        )
        if goal.behind_pace:
            pace = "⚠️ " + pace
    return reader.t(
        "progress.goal_line",
        name=goal_label(reader, goal),
        bar=progress_bar(goal.ratio),
        percent=reader.percent(goal.ratio),
        current=reader.number(int(goal.current)),
        target=reader.number(goal.target),
        pace=pace,
    )


def goal_text(reader: Reader, progress: GoalProgress) -> str:
    """/goal and /goals: the goal's line and, when it has one, its last day."""
    text = goal_line(reader, progress)
    if progress.deadline is not None:
        last_day = progress.deadline - timedelta(minutes=1)
        text += "\n" + reader.t("progress.goal_deadline", date=reader.date(last_day))
    return text


def goal_set_text(reader: Reader, result: GoalSet) -> str:
    """/goal's answer: set or updated, and where the goal stands."""
    title = reader.t("progress.goal_set" if result.created else "progress.goal_updated")
    return f"{title}\n{goal_text(reader, result.progress)}"


def goals_lines(reader: Reader, found: Sequence[GoalProgress]) -> list[str]:
    """/goals: every visible goal (the handler sends them paged)."""
    return [reader.t("progress.goals_list_title"), *(goal_text(reader, g) for g in found)]


# ---- /summary --------------------------------------------------------------------------------
def _head_lines(reader: Reader, s: Summary) -> list[str]:
    v = s.volunteers
    return [
        reader.t(
            "progress.summary_title",
            scope=s.title or reader.t("progress.all_teams"),
            when=reader.when(s.now),
        ),
        reader.t("progress.volunteers", total=reader.number(v.total), new=reader.number(v.new)),
        reader.t(
            "progress.volunteers_active",
            active=reader.number(v.active),
            percent=reader.percent(v.active / v.total if v.total else 0),
            unreachable=reader.number(v.unreachable),
        ),
    ]


def _shift_lines(reader: Reader, s: Summary) -> list[str]:
    sh = s.shifts
    if not sh.shifts:
        return [reader.t("progress.shifts_none")]
    ratio = sh.filled / sh.places if sh.places else 0
    lines = [
        reader.t(
            "progress.shifts",
            shifts=reader.number(sh.shifts),
            filled=reader.number(sh.filled),
            places=reader.number(sh.places),
            percent=reader.percent(ratio),
            bar=progress_bar(ratio),
        )
    ]
    if sh.urgent_shifts:
        lines.append(
            reader.t(
                "progress.shifts_urgent",
                shifts=reader.number(sh.urgent_shifts),
                places=reader.number(sh.urgent_places),
            )
        )
    return lines


def _event_line(reader: Reader, s: Summary) -> str:
    e = s.events
    if not e.events:
        return reader.t("progress.events_none")
    rate = e.no_show_rate
    return reader.t(
        "progress.events",
        events=reader.number(e.events),
        going=reader.number(e.going),
        confirmed=reader.number(e.confirmed),
        checked_in=reader.number(e.checked_in),
        no_show=reader.percent(rate) if rate is not None else "–",
    )


def _budget_line(reader: Reader, s: Summary) -> list[str]:
    b = s.budget
    if b is None:
        return []
    return [
        reader.t(
            "progress.budget",
            spent=reader.money(b.spent, b.currency),
            planned=reader.money(b.planned, b.currency),
            percent=reader.percent(b.spent / b.planned if b.planned else 0),
            pending=reader.number(b.pending_count),
        )
    ]


def summary_lines(reader: Reader, s: Summary) -> list[str]:
    t = s.tasks
    lines = _head_lines(reader, s) + _shift_lines(reader, s)
    if (forecast := forecast_line(reader, s.forecast)) is not None:
        lines.append(forecast)
    lines.append(
        reader.t(
            "progress.tasks",
            open=reader.number(t.open),
            claimed=reader.number(t.claimed),
            done=reader.number(t.done),
            overdue=reader.number(t.overdue),
        )
    )
    lines.append(_event_line(reader, s))
    if s.goals:
        lines.append(reader.t("progress.goals_title"))
        lines += [goal_line(reader, g) for g in s.goals]
    if s.feedback is not None and s.feedback.asked:
        lines.append(feedback_summary_line(reader, s.feedback))
    return lines + _budget_line(reader, s)


def held_line(reader: Reader, count: int, until: datetime | None) -> str | None:
    """/summary's note on broadcasts held by quiet hours (nothing sent is out of sight)."""
    if not count or until is None:
        return None
    return reader.t("broadcast.summary_held", until=reader.when(until), n=reader.number(count))


def event_lines(reader: Reader, d: EventDetail) -> list[str]:
    lines = [
        reader.t(
            "progress.event_title",
            title=truncate(d.title, 80),
            when=reader.time_range(d.starts_at, d.ends_at),
        ),
    ]
    if d.cancelled:
        lines.append(reader.t("progress.event_cancelled"))
    if d.team_name:
        lines.append(reader.t("progress.event_team", team=d.team_name))
    capacity = reader.number(d.capacity) if d.capacity else "∞"
    lines += [
        reader.t(
            "progress.event_rsvp",
            going=reader.number(d.going),
            capacity=capacity,
            maybe=reader.number(d.maybe),
            declined=reader.number(d.declined),
        ),
        reader.t(
            "progress.event_confirmed",
            confirmed=reader.number(d.confirmed),
            unconfirmed=reader.number(max(d.going - d.confirmed, 0)),
        ),
        reader.t(
            "progress.event_checked_in",
            checked_in=reader.number(d.checked_in),
            no_show=reader.number(d.no_show),
        ),
    ]
    if d.feedback is not None:
        lines.append(feedback_event_line(reader, d.feedback, d.id))
    return lines


# ---- /report ---------------------------------------------------------------------------------
def report_working(reader: Reader, start: datetime, end: datetime) -> str:
    last_day = end - timedelta(microseconds=1)
    return reader.t("progress.report_working", start=reader.date(start), end=reader.date(last_day))


# ---- /me: a volunteer's own record -----------------------------------------------------------
def me_lines(reader: Reader, record: PersonRecord) -> list[str]:
    """The /me lines: hours, shifts done, reliability, outcomes (nothing before any activity)."""
    lines: list[str] = []
    if record.shifts_done:
        lines.append(
            reader.t(
                "progress.me_shifts",
                shifts=reader.number(record.shifts_done),
                hours=reader.number(round(record.hours, 1)),
            )
        )
    reliable = reliability_line(reader, record.reliability)
    if reliable is not None:
        lines.append(reliable)
    if record.outcomes:
        parts = ", ".join(f"{reader.number(n)} {escape(unit)}" for unit, n in record.outcomes)
        lines.append(reader.t("progress.me_outcomes", outcomes=Html(parts)))
    return lines


# The feature's /me section: the record (services) and its lines (here).
ME_SECTION: ProfileSection[PersonRecord] = ProfileSection(me_record, me_lines)


async def me_section(
    session: AsyncSession, actor: Actor, reader: Reader, now: datetime
) -> list[str]:
    """The section loaded and written in one call (tests, and the older /me registry)."""
    return me_lines(reader, await me_record(session, actor, now))
