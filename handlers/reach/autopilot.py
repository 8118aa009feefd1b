"""/autopilot: coordinators switch the staffing autopilot on or off per team; plus its job."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.reach import autopilot
from bot.views import autopilot as autopilot_views
from bot.views.autopilot import settings_lines
from handlers.common import reader_for, send
from handlers.feature import Every, Feature
from handlers.guard import guarded

log = logging.getLogger(__name__)

SWEEP_JOB = "autopilot.sweep"
SWEEP_INTERVAL = timedelta(minutes=5)
ON_WORDS = {"on", "aktif", "nyala", "hidup", "yes", "ya"}
OFF_WORDS = {"off", "nonaktif", "mati", "no", "tidak"}

@guarded(Permission.MANAGE_ROLES)
async def cmd_autopilot(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shows which teams use the autopilot; `/autopilot on|off <team>` switches one."""
    reader = reader_for(context, actor)
    hours = context.settings.autopilot_hours_before
    args = context.args or []
    if not args:
        teams = await autopilot.team_settings(context.db, actor)
        await send(update, context, settings_lines(reader, teams, hours))
        return
    word = args[0].casefold()
    if word not in ON_WORDS | OFF_WORDS or len(args) < 2:
        await send(update, context, reader.t("autopilot.usage"))
        return
    enabled = word in ON_WORDS
    setting = await autopilot.set_enabled(context.db, actor, " ".join(args[1:]), enabled,
                                          now=context.clock.now())
    key = "autopilot.on" if enabled else "autopilot.off"
    await send(update, context, reader.t(key, team=setting.name, hours=hours))


async def job_autopilot(context: GotongContext) -> None:
    """Invites people for understaffed shifts, in waves, and reports to the leads."""
    report = await autopilot.sweep(context.db, context.settings, now=context.clock.now())
    if report.asked or report.withdrawn or report.closed:
        log.info("autopilot: %s", report)


FEATURE = Feature(
    "autopilot",
    handlers=[CommandHandler("autopilot", cmd_autopilot)],
    commands=[CommandSpec("autopilot", Permission.MANAGE_ROLES, group="shifts")],
    jobs=[Every(SWEEP_JOB, job_autopilot, SWEEP_INTERVAL)],
    renderers=autopilot_views.RENDERERS,
)
