"""Coordinator and lead tools for people: /invite, /team, /promote, /demote."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services.authz import Permission, can, is_team_scoped
from bot.services.people import invites, roles, teams
from bot.services.people import members as people
from bot.services.people.members import Actor
from bot.views.people import (
    RENDERERS,
    InviteRole,
    InviteTeam,
    invite_role_keyboard,
    invite_team_keyboard,
    invite_text,
    role_changed_text,
    team_list_lines,
    team_members_lines,
)
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.feature import Feature
from handlers.guard import StaleButton, guarded
from handlers.menus import sync_person_menu
from models import Role


@guarded(Permission.INVITE)
async def cmd_invite(update: Update, context: GotongContext, actor: Actor) -> None:
    """Two taps: pick the team, pick the role; or `/invite <team> [role] [days] [uses]`."""
    reader = reader_for(context, actor)
    if context.args:
        await _invite_from_args(update, context, actor, context.args)
        return
    team_list = await teams.list_teams(context.db, actor)
    keyboard = invite_team_keyboard(reader, team_list, no_team=actor.role != Role.LEAD)
    await send(update, context, reader.t("invite.pick_team"), keyboard)


async def _invite_from_args(
    update: Update, context: GotongContext, actor: Actor, args: list[str]
) -> None:
    role = Role.VOLUNTEER
    days, uses = invites.DEFAULT_INVITE_DAYS, invites.DEFAULT_INVITE_USES
    numbers = [a for a in args[1:] if a.isdigit()]
    words = [a for a in args[1:] if not a.isdigit()]
    if len(words) > 1 or len(numbers) > 2:
        raise InvalidInput("invite.usage")
    if words:
        try:
            role = Role(words[0].lower())
        except ValueError:
            raise InvalidInput("invite.usage") from None
    if numbers:
        days = int(numbers[0])
    if len(numbers) > 1:
        uses = int(numbers[1])
    team_id = None
    if args[0] != "-":
        team_id = await teams.resolve_team_id(context.db, args[0])
    await _create_and_show(update, context, actor, team_id, role, days, uses)


async def _create_and_show(
    update: Update,
    context: GotongContext,
    actor: Actor,
    team_id: int | None,
    role: Role,
    days: int,
    uses: int,
) -> None:
    invite = await invites.create_invite(
        context.db,
        actor,
        team_id=team_id,
        role=role,
        days=days,
        max_uses=uses,
        now=context.clock.now(),
    )
    link = f"https://t.me/{context.bot.username}?start={invite.payload}"
    await edit_or_send(update, context, invite_text(reader_for(context, actor), invite, link))


@pressed(InviteTeam, Permission.INVITE)
async def cb_invite_team(
    update: Update, context: GotongContext, actor: Actor, data: InviteTeam
) -> None:
    """Team picked → the role buttons."""
    query = update.callback_query
    assert query is not None
    if not can(actor, Permission.INVITE, data.team_id or None):
        raise StaleButton()
    reader = reader_for(context, actor)
    keyboard = invite_role_keyboard(reader, data.team_id, invites.invite_roles(actor))
    await query.answer()
    await edit_or_send(update, context, reader.t("invite.pick_role"), keyboard)


@pressed(InviteRole, Permission.INVITE)
async def cb_invite_role(
    update: Update, context: GotongContext, actor: Actor, data: InviteRole
) -> None:
    """Role picked → the invite link."""
    query = update.callback_query
    assert query is not None
    if data.role not in invites.invite_roles(actor):  # not a role this person was offered
        raise StaleButton()
    await _create_and_show(
        update,
        context,
        actor,
        data.team_id or None,
        data.role,
        invites.DEFAULT_INVITE_DAYS,
        invites.DEFAULT_INVITE_USES,
    )
    await query.answer()


@guarded(Permission.MANAGE_TEAMS)
async def cmd_team(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/team`, `/team create <name>`, `/team add <team> <@user> [lead]`, `/team <name>`."""
    reader = reader_for(context, actor)
    args = context.args or []
    usage = "team.usage_lead" if is_team_scoped(actor) else "team.usage"  # leads create none
    if not args or args[0].lower() == "list":
        summaries = await teams.list_teams(context.db, actor)
        await send(update, context, team_list_lines(reader, summaries))
        return
    verb = args[0].lower()
    if verb == "create":
        if len(args) < 2:
            raise InvalidInput(usage)
        summary = await teams.create_team(context.db, actor, " ".join(args[1:]))
        await send(update, context, reader.t("team.created", name=summary.name))
        return
    if verb == "add":
        if len(args) not in (3, 4) or (len(args) == 4 and args[3].lower() not in ("lead", "ketua")):
            raise InvalidInput(usage)
        as_lead = len(args) == 4
        name, team_name = await teams.add_member(
            context.db, actor, args[1], args[2], as_lead=as_lead
        )
        key = "team.added_lead" if as_lead else "team.added"
        await send(update, context, reader.t(key, name=name, team=team_name))
        return
    team_name, members = await teams.team_members(context.db, actor, " ".join(args))
    await send(update, context, team_members_lines(reader, team_name, members))


@guarded(Permission.MANAGE_ROLES)
async def cmd_promote(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/promote <@user|id> <role> [team]`: gives a role (a lead needs a team)."""
    args = context.args or []
    if len(args) < 2:
        raise InvalidInput("roles.promote_usage")
    try:
        role = Role(args[1].lower())
    except ValueError:
        raise InvalidInput("roles.promote_usage") from None
    team_ref = " ".join(args[2:]) or None
    await _apply_role(update, context, actor, args[0], role, team_ref)


@guarded(Permission.MANAGE_ROLES)
async def cmd_demote(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/demote <@user|id>`: back to volunteer."""
    args = context.args or []
    if len(args) != 1:
        raise InvalidInput("roles.demote_usage")
    await _apply_role(update, context, actor, args[0], Role.VOLUNTEER, None)


async def _apply_role(
    update: Update, context: GotongContext, actor: Actor, ref: str, role: Role, team: str | None
) -> None:
    change = await roles.set_role(
        context.db,
        actor,
        ref,
        role,
        team_ref=team,
        admin_ids=frozenset(context.settings.admin_ids),
        now=context.clock.now(),
    )
    await send(update, context, role_changed_text(reader_for(context, actor), change))
    target = await people.actor_by_telegram_id(
        context.db, change.telegram_id, context.settings.default_language
    )
    if target is not None:
        await sync_person_menu(context, target)


FEATURE = Feature(
    "admin",
    handlers=[
        CommandHandler("invite", cmd_invite),
        CommandHandler("team", cmd_team),
        CommandHandler("promote", cmd_promote),
        CommandHandler("demote", cmd_demote),
    ],
    buttons=[cb_invite_team, cb_invite_role],
    commands=[
        CommandSpec("invite", Permission.INVITE),
        CommandSpec("team", Permission.MANAGE_TEAMS, lead_description=True),
        CommandSpec("promote", Permission.MANAGE_ROLES),
        CommandSpec("demote", Permission.MANAGE_ROLES),
    ],
    renderers=RENDERERS,
)
