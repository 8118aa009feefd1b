"""Toasts, alerts and button labels are plain text, in both languages (issue #17).

Telegram shows them without parsing HTML; ours came from the HTML catalog, so people read
`<b>Door-knocking Tebet</b>` in an alert and `&amp;` on a button.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.clock import FrozenClock
from bot.views.i18n import Html, I18n
from bot.views.render import CALLBACK_ANSWER_LIMIT, Button, Reader, to_plain
from models import Membership, Person, Role, Team
from sandbox import SandboxClient, SandboxServer, UserSpec
from tests.conftest import T0
from tests.support.harness import TOKEN, BotHarness, start_harness
from tests.surfaces.plain import assert_plain, plain_text_problems

# What each language shows; the markup a broken path would add is asserted absent.
SEEN = {
    "en": ("You already have a shift at that time: Door-knocking Tebet & Co", "“Nobar & diskusi”"),
    "id": ("Kamu sudah punya shift di jam yang sama: Door-knocking Tebet & Co",
           "“Nobar & diskusi”"),
}


async def seed(bot: BotHarness, lang: str) -> None:
    async with bot.db.begin() as session:
        jaksel = Team(name="Jaksel", name_key="jaksel")
        rt = Team(name="RT 05 & RW 03", name_key="rt 05 & rw 03")
        session.add_all([jaksel, rt])
        await session.flush()
        ani = Person(telegram_id=2, first_name="Ani", role=Role.VOLUNTEER, language=lang)
        session.add(ani)
        await session.flush()
        session.add_all([Membership(person_id=ani.id, team_id=jaksel.id),
                         Membership(person_id=ani.id, team_id=rt.id)])
    bot.sandbox.world.private_chat(UserSpec(2, "Ani", language_code=lang))


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_alert_toast_and_labels_show_no_markup(tmp_path: Path, lang: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plain.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        await seed(bot, lang)
        admin, ani = bot.admin, bot.user(2, "Ani", lang)
        for title in ("Door-knocking Tebet & Co", "Flyering Blok M"):
            await admin.send_and_wait(f"/newshift Jaksel | {title} | besok 08:00 | 3j | 5 | Tebet")
        await admin.send_and_wait("/newevent Nobar & diskusi | 2026-11-29 19:00 | 2h")

        listing = await ani.send_and_wait("/shifts")
        await ani.press(listing, 0, expect="edit")
        listing = await ani.send_and_wait("/shifts")
        refused = await ani.press(listing, 0, expect="answer")
        overlap, rsvp = SEEN[lang]
        assert refused.answer.show_alert and (refused.answer.text or "").startswith(overlap)
        assert_plain(refused.answer.text)

        events = await ani.send_and_wait("/events")
        going = await ani.press(events, "✅", expect="any")
        assert rsvp in (going.answer.text or "")
        assert_plain(going.answer.text)

        shown = await admin.send_and_wait("/summary")
        assert "👥 RT 05 & RW 03" in shown.button_texts
        assert plain_text_problems(bot.sandbox) == []


def test_plain_rendering_strips_tags_unescapes_and_cuts() -> None:
    template = "<b>{who}</b> &amp; <i>{what}</i> " + "x" * 300
    catalogs = {lang: {"k": template} for lang in ("en", "id")}
    reader = Reader(I18n("en", catalogs), "en", "Asia/Jakarta", "IDR", T0)
    plain = reader.plain("k", who="RT 05 & RW 03", what="<script>")
    assert plain.startswith("RT 05 & RW 03 & <script> x")
    assert len(plain) == CALLBACK_ANSWER_LIMIT and plain.endswith("…")
    # A catalog label becomes plain on the button itself; plain user text is kept as typed.
    assert Button(reader.t("k", who="A & B", what="c"), "x:1").text.startswith("A & B & c")
    assert Button("Tim <Jaksel> &amp;", "x:1").text == "Tim <Jaksel> &amp;"
    assert to_plain(Html('<a href="https://x">map</a> &lt;b&gt;')) == "map <b>"
    with pytest.raises(ValueError):
        Button("long data", "x" * 65)


async def test_sandbox_refuses_a_callback_answer_over_200_characters() -> None:
    """As Telegram does: a lenient sandbox would let a cut-off alert pass unseen."""
    sandbox = SandboxServer()
    await sandbox.start()
    try:
        client = SandboxClient(sandbox)
        user = client.user(7)
        await user.send("hi")
        async with Bot(TOKEN, base_url=sandbox.base_url) as tg:
            sent = await tg.send_message(7, "pick", reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Go", callback_data="go")]]))
            query_id = sandbox.world.press(user.spec, 7, sent.message_id, index=0)
            with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
                await tg.answer_callback_query(query_id, "x" * (CALLBACK_ANSWER_LIMIT + 1))
            assert await tg.answer_callback_query(query_id, "x" * CALLBACK_ANSWER_LIMIT)
        answer = await client.wait_for_callback_answer(query_id)
        assert answer.text == "x" * CALLBACK_ANSWER_LIMIT
    finally:
        await sandbox.stop()
