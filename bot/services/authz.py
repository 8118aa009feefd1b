"""Who may do what: the one rule book behind every privileged command and button.

Roles grant permissions; a team lead's permissions apply only to the teams
they lead (`team_id` scope).  Handlers use the same check through
`handlers.guard`, services re-check it with the team in hand.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import NotAllowed
from bot.services.people.members import Actor
from models.enums import Role


class Permission(StrEnum):
    INVITE = "invite"
    MANAGE_ROLES = "manage_roles"
    MANAGE_TEAMS = "manage_teams"
    BROADCAST = "broadcast"
    MANAGE_SHIFTS = "manage_shifts"
    MANAGE_EVENTS = "manage_events"
    CHECK_IN_OTHERS = "check_in_others"
    VIEW_SUMMARY = "view_summary"
    VIEW_REPORT = "view_report"
    MANAGE_GOALS = "manage_goals"
    MANAGE_SKILLS = "manage_skills"
    MANAGE_BUDGET = "manage_budget"
    APPROVE_CLAIMS = "approve_claims"
    RECORD_EXPENSE = "record_expense"
    VOLUNTEER = "volunteer"  # claim shifts/tasks, RSVP, report


_VOLUNTEER = {Permission.VOLUNTEER, Permission.RECORD_EXPENSE}
# Lead permissions are team-scoped: they hold only for the lead's own teams.
_LEAD_SCOPED = {
    Permission.INVITE,
    Permission.MANAGE_TEAMS,
    Permission.BROADCAST,
    Permission.MANAGE_SHIFTS,
    Permission.CHECK_IN_OTHERS,
    Permission.VIEW_SUMMARY,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # Coordinators differ from admins only in which roles they may grant (GRANTABLE).
    Role.COORDINATOR: frozenset(Permission),
    Role.LEAD: frozenset(_VOLUNTEER | _LEAD_SCOPED),
    Role.VOLUNTEER: frozenset(_VOLUNTEER),
    Role.PARTNER: frozenset(),
    Role.MEDIA: frozenset(),
}

# Roles that an actor may hand out (promote to, or invite as).
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(set(Role) - {Role.ADMIN}),
    Role.COORDINATOR: frozenset({Role.LEAD, Role.VOLUNTEER, Role.PARTNER, Role.MEDIA}),
    Role.LEAD: frozenset({Role.VOLUNTEER}),
}


def is_team_scoped(actor: Actor) -> bool:
    """True when the actor's powers stop at their own teams (leads)."""
    return actor.role == Role.LEAD


def can(actor: Actor, permission: Permission, team_id: int | None = None) -> bool:
    if permission not in ROLE_PERMISSIONS[actor.role]:
        return False
    if is_team_scoped(actor) and permission in _LEAD_SCOPED:
        if not actor.lead_team_ids:
            return False
        # team_id None means "some team of theirs": the service narrows it later.
        return team_id is None or team_id in actor.lead_team_ids
    return True


def refusal(actor: Actor, permission: Permission, team_id: int | None = None) -> NotAllowed:
    """Why `actor` may not do this, in the words they need: a lead whose role has the
    permission was refused because the thing is another team's ("error.other_team") or the
    whole campaign's (`team_id` None: "error.campaign_wide"); anyone else because of their
    role ("error.not_allowed").  Every team-scoped refusal is built here."""
    if (
        permission in ROLE_PERMISSIONS[actor.role]
        and is_team_scoped(actor)
        and permission in _LEAD_SCOPED
        and actor.lead_team_ids
    ):
        key = "error.campaign_wide" if team_id is None else "error.other_team"
        return NotAllowed(key, permission=permission.value, scope="team")
    return NotAllowed(permission=permission.value)


def require(actor: Actor, permission: Permission, team_id: int | None = None) -> None:
    if not can(actor, permission, team_id):
        raise refusal(actor, permission, team_id)


def require_team(actor: Actor, permission: Permission, team_id: int | None) -> None:
    """Like `require` for one thing that belongs to `team_id`, where None is the whole
    campaign's (which a lead's team-scoped powers do not reach), not "some team of theirs"."""
    if team_id is None and is_team_scoped(actor) and permission in _LEAD_SCOPED:
        raise refusal(actor, permission, None)
    require(actor, permission, team_id)


def can_grant(actor: Actor, role: Role) -> bool:
    return role in GRANTABLE.get(actor.role, frozenset())
