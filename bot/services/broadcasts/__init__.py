"""Broadcasts' use cases: compose, target, confirm or schedule, cancel, follow up.

`compose` (draft → audience → quiet-hours outlook → confirm / cancel), `follow` (recent
broadcasts, failures, messages held for the morning) and `audiences` (who an audience
is).  Each use case opens one transaction and returns plain data; the chat's texts and
buttons are `bot.views.broadcasts`', the running of a confirmed broadcast is the
delivery engine's (`bot.delivery.broadcasts`).  The handlers and the web app call them
through this package: `from bot.services import broadcasts`.
"""

from bot.delivery.broadcasts import Held
from bot.delivery.failures import Reason
from bot.services.broadcasts.compose import (
    MEDIA_TYPES,
    AudienceOption,
    Confirmed,
    Draft,
    QuietHold,
    QuietOutlook,
    audience_choices,
    audience_options,
    cancel,
    choose_audience,
    confirm,
    create_draft,
    draft_view,
    offered_audiences,
    quiet_outlook,
)
from bot.services.broadcasts.follow import (
    FAILURES_PAGE,
    RECENT_LIMIT,
    FailureLine,
    FailurePage,
    Summary,
    actor_can_broadcast,
    failures,
    held_now,
    recent,
)

__all__ = [
    "FAILURES_PAGE",
    "MEDIA_TYPES",
    "RECENT_LIMIT",
    "AudienceOption",
    "Confirmed",
    "Draft",
    "FailureLine",
    "FailurePage",
    "Held",
    "QuietHold",
    "QuietOutlook",
    "Reason",
    "Summary",
    "actor_can_broadcast",
    "audience_choices",
    "audience_options",
    "cancel",
    "choose_audience",
    "confirm",
    "create_draft",
    "draft_view",
    "failures",
    "held_now",
    "offered_audiences",
    "quiet_outlook",
    "recent",
]
