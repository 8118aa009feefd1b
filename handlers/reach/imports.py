"""/import: a coordinator sends the volunteer list (CSV or XLSX), sees a preview, confirms,
and gets back a CSV with each row's personal link; `/start imp_<code>` joins through one.

The file is refused before it is downloaded when Telegram says it is too big; parsing runs
in a worker thread (`bot.services.reach.import_file`), so the bot keeps answering everyone
else.  The preview's buttons name the file's digest and are re-checked against the person's own
import flow (who, which file, still pending).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.commands import CommandSpec
from bot.context import GotongContext, telegram_user
from bot.errors import Conflict, InvalidInput
from bot.services import flows
from bot.services.authz import Permission
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.services.reach import imports
from bot.services.reach.import_file import MAX_ROWS, check_document, file_digest
from bot.services.reach.imports import IMPORT_PREFIX
from bot.views.imports import (
    CancelImport,
    ConfirmImport,
    done_text,
    preview_keyboard,
    preview_lines,
)
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded
from handlers.menus import sync_person_menu

log = logging.getLogger(__name__)

FLOW = "import"
STEP_FILE = "file"
STEP_CONFIRM = "confirm"

@guarded(Permission.MANAGE_ROLES)
async def cmd_import(update: Update, context: GotongContext, actor: Actor) -> None:
    """Asks for the volunteer list as a CSV or XLSX file."""
    await flows.start_flow(context.db, actor.telegram_id, FLOW, STEP_FILE,
                           now=context.clock.now())
    await send(update, context, reader_for(context, actor).t("imports.ask", max=MAX_ROWS))


async def _download(context: GotongContext, file_id: str) -> bytes:
    try:
        found = await context.bot.get_file(file_id)
        return bytes(await found.download_as_bytearray())
    except TelegramError as exc:
        log.info("import: download failed: %s", exc)
        raise Conflict("imports.download_failed") from None


async def on_import_input(
    update: Update, context: GotongContext, actor: Actor, flow: Flow
) -> None:
    """Takes the file, shows what importing it would do, with Import / Cancel."""
    reader = reader_for(context, actor)
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None or flow.step != STEP_FILE:
        await send(update, context, reader.t("imports.need_document"))
        return
    check_document(document.file_name, document.file_size)  # before downloading
    content = await _download(context, document.file_id)
    name = (document.file_name or "import.csv")[:100]
    preview = await imports.preview_import(context.db, actor, content, name)
    lines = preview_lines(reader, name, preview)
    if preview.new == 0:
        await flows.end_flow(context.db, actor.telegram_id)
        await send(update, context, lines)
        return
    await flows.start_flow(context.db, actor.telegram_id, FLOW, STEP_CONFIRM,
                           {"file_id": document.file_id, "name": name,
                            "digest": preview.digest}, now=context.clock.now())
    await send(update, context, lines, preview_keyboard(reader, preview))


async def _pending(update: Update, context: GotongContext, digest: str) -> Flow:
    """This person's import waiting for a yes or no, of the very file the button names."""
    flow = await context.open_flow(update)  # read with the actor
    if (flow is None or flow.flow != FLOW or flow.step != STEP_CONFIRM
            or flow.data.get("digest") != digest):
        raise InvalidInput("imports.stale")
    return flow


@pressed(CancelImport, Permission.MANAGE_ROLES)
async def cb_import_cancel(
    update: Update, context: GotongContext, actor: Actor, data: CancelImport
) -> None:
    query = update.callback_query
    assert query is not None
    await _pending(update, context, data.digest)
    await query.answer()
    await flows.end_flow(context.db, actor.telegram_id)
    await edit_or_send(update, context, reader_for(context, actor).t("imports.cancelled"))


@pressed(ConfirmImport, Permission.MANAGE_ROLES)
async def cb_import_confirm(
    update: Update, context: GotongContext, actor: Actor, data: ConfirmImport
) -> None:
    """Imports the file this person previewed; the links file comes back."""
    query = update.callback_query
    assert query is not None
    flow = await _pending(update, context, data.digest)
    reader = reader_for(context, actor)
    await query.answer()
    content = await _download(context, str(flow.data["file_id"]))
    if file_digest(content) != data.digest:
        raise InvalidInput("imports.stale")
    name = str(flow.data.get("name", "import.csv"))
    result = await imports.commit_import(
        context.db, actor, content, name, bot_username=context.bot.username,
        now=context.clock.now(),
    )
    await flows.end_flow(context.db, actor.telegram_id)
    await edit_or_send(update, context, done_text(reader, result))
    chat = update.effective_chat
    assert chat is not None
    stem = name.rsplit(".", 1)[0][:60] or "import"
    await context.bot.send_document(
        chat.id, result.csv, filename=f"{stem}-links.csv",
        caption=reader.t("imports.done_caption", file=name),
    )


async def deep_link_import(update: Update, context: GotongContext, code: str) -> None:
    """`/start imp_<code>`: the imported person joins, with their team, skills and language."""
    from handlers.people.start import greet

    assert update.effective_user is not None
    result = await imports.redeem_import_link(
        context.db, telegram_user(update.effective_user), code,
        admin_ids=frozenset(context.settings.admin_ids),
        default_language=context.settings.default_language, now=context.clock.now(),
    )
    context.set_actor(result.actor)
    reader = reader_for(context, result.actor)
    if not result.ok:
        await send(update, context, reader.t(f"imports.link_{result.reason}"))
    elif result.team_name:
        await send(update, context, reader.t("imports.joined_team", team=result.team_name))
    else:
        await send(update, context, reader.t("imports.joined"))
    if result.ok:
        await sync_person_menu(context, result.actor)
    await greet(update, context, result.actor)


async def guarded_step(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    # The flow router already runs under the guard: a refusal here is explained to the person.
    await on_import_input(update, context, actor, flow)


FEATURE = Feature(
    "import",
    handlers=[
        CommandHandler("import", cmd_import, filters=filters.ChatType.PRIVATE),
    ],
    buttons=[cb_import_confirm, cb_import_cancel],
    commands=[CommandSpec("import", Permission.MANAGE_ROLES, group="people")],
    flows={FLOW: guarded_step},
    deep_links={IMPORT_PREFIX: deep_link_import},
)
