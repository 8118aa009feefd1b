"""How the staffing autopilot speaks: the invitation, the leads' report, the /summary
forecast line and the /autopilot settings list.

The invitation's button is the shifts' own Claim (the same as in /shifts), so a claim
from it runs the one claim use case with its checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.kinds import AUTOPILOT_INVITE, AUTOPILOT_REPORT
from bot.delivery.renderers import Renderer
from bot.services.reach import autopilot
from bot.services.reach.autopilot import LeadReport, ShiftOutcome, TeamSetting
from bot.views.render import Button, Outgoing, Reader
from bot.views.shift_buttons import ClaimShift
from bot.views.shifts import shift_lines
from models import OutboxMessage, Person

REPORT_LIMIT = 4000  # characters: a report always fits one message


def forecast_line(reader: Reader, starts: Sequence[datetime]) -> str | None:
    """/summary: how many shifts of tomorrow (in the reader's timezone) look understaffed."""
    zone = ZoneInfo(reader.tz)
    tomorrow = (reader.now.astimezone(zone) + timedelta(days=1)).date()
    count = sum(1 for s in starts if s.astimezone(zone).date() == tomorrow)
    if not count:
        return None
    return reader.t("autopilot.forecast", count=count, shown=reader.number(count))


def settings_lines(reader: Reader, teams: Sequence[TeamSetting], hours: int) -> list[str]:
    """/autopilot without arguments: which teams use it, and how to switch one."""
    if not teams:
        return [reader.t("autopilot.no_teams")]
    lines = [reader.t("autopilot.status_title", hours=hours)]
    lines += [reader.t("autopilot.status_line", icon="✅" if t.enabled else "⏸", team=t.name)
              for t in teams]
    lines.append(reader.t("autopilot.usage"))
    return lines


def report_text(reader: Reader, report: LeadReport) -> str:
    lines = [reader.t("autopilot.report_title")]
    for line in report.lines:
        if line.outcome == ShiftOutcome.CANCELLED:
            state = reader.t("autopilot.report_cancelled")
        elif line.outcome == ShiftOutcome.FULL:
            state = reader.t("autopilot.report_full")
        elif line.outcome == ShiftOutcome.NOBODY_LEFT:
            state = reader.t("autopilot.report_nobody_left", free=line.free)
        else:
            state = reader.t("autopilot.report_open", free=line.free)
        lines.append(reader.t("autopilot.report_line", title=line.title,
                              when=reader.time_range(line.starts_at, line.ends_at),
                              asked=line.asked, wave=line.wave, state=state))
    if report.more:
        lines.append(reader.t("autopilot.report_more", count=report.more))
    open_places = report.open_places
    lines.append(reader.t("autopilot.report_open_total", count=open_places)
                 if open_places else reader.t("autopilot.report_all_full"))
    return "\n".join(lines)[:REPORT_LIMIT]


# ---- outbox renderers -------------------------------------------------------------------
async def render_invite(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    invitation = await autopilot.invite_to_send(session, row, person, reader.now)
    if invitation is None:
        return None
    view = invitation.shift
    text = reader.t("autopilot.invite", name=invitation.name, free=view.free) + "\n\n" + (
        shift_lines(reader, view))
    return Outgoing(text, [[Button(reader.t("autopilot.btn_claim"), ClaimShift(view.id).pack())]])


async def render_report(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    return Outgoing(report_text(reader, await autopilot.report_to_send(session, row)))


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    AUTOPILOT_INVITE.name: render_invite,
    AUTOPILOT_REPORT.name: render_report,
}
