"""Bot API methods through the real PTB `Bot`: shapes, strictness and error mapping."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, InvalidToken

from sandbox import SandboxClient, SandboxServer
from tests.sandbox.conftest import TOKEN


def keyboard(*labels_and_data: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in labels_and_data]]
    )


async def test_send_message_shapes_private_and_group(bot: Bot, client: SandboxClient) -> None:
    ana = client.user(42, "Ana", username="ana")
    await ana.send("hi")
    await client.create_group(-100123, "Tim Jakarta")
    await ana.send("halo grup", chat_id=-100123)
    private = await bot.send_message(42, "one")
    again = await bot.send_message(42, "two", reply_markup=keyboard(("Go", "go:1")))
    group = await bot.send_message(-100123, "to the group")
    assert (private.message_id, again.message_id) == (2, 3)
    assert private.chat.type == "private" and private.chat.first_name == "Ana"
    assert private.chat.username == "ana"
    assert private.from_user is not None and private.from_user.is_bot
    assert again.reply_markup == keyboard(("Go", "go:1"))
    assert group.chat.type == "group" and group.chat.title == "Tim Jakarta"
    assert ana.last_bot_message() is not None
    assert ana.bot_messages()[-1].button_texts == ["Go"]


async def test_html_is_parsed_into_text_entities_and_raw(bot: Bot, client: SandboxClient) -> None:
    await client.user(7).send("hi")
    html = '<b>Rapat</b> &amp; <i>doa</i> <a href="https://x.id">link</a> <code>a&lt;b</code>'
    sent = await bot.send_message(7, html, parse_mode="HTML")
    assert sent.text == "Rapat & doa link a<b"
    kinds = [(e.type, e.offset, e.length) for e in sent.entities]
    assert kinds == [("bold", 0, 5), ("italic", 8, 3), ("text_link", 12, 4), ("code", 17, 3)]
    stored = client.last_bot_message(7)
    assert stored is not None and stored.html == html and stored.raw["sandbox_html"] == html


@pytest.mark.parametrize(
    "html",
    [
        "a < b",
        "fish & chips",
        "<b>unclosed",
        "<b>bad</i>",
        "<div>no</div>",
        "<span>plain span</span>",
        "&nbsp;",
        "</b>",
    ],
)
async def test_bad_html_is_refused(bot: Bot, client: SandboxClient, html: str) -> None:
    await client.user(7).send("hi")
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        await bot.send_message(7, html, parse_mode="HTML")
    assert client.last_bot_message(7) is None


async def test_lengths_and_empty_text(bot: Bot, client: SandboxClient) -> None:
    await client.user(7).send("hi")
    await bot.send_message(7, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(7, "x" * 4097)
    # Tags do not count: only the visible text does.
    await bot.send_message(7, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(7, "  ")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_document(7, b"data", filename="a.txt", caption="c" * 1025)


async def test_keyboard_validation(bot: Bot, client: SandboxClient) -> None:
    await client.user(7).send("hi")
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(7, "x", reply_markup=keyboard(("Go", "é" * 33)))
    await bot.send_message(7, "x", reply_markup=keyboard(("Go", "d" * 64)))
    with pytest.raises(BadRequest, match=r"(?i)inline keyboard button"):
        await bot.send_message(
            7,
            "x",
            reply_markup={"inline_keyboard": [[{"text": "nothing"}]]},  # type: ignore[arg-type]
        )
    two_actions = {"inline_keyboard": [[{"text": "t", "callback_data": "a", "url": "https://a.b"}]]}
    with pytest.raises(BadRequest, match=r"(?i)exactly one action"):
        await bot.send_message(7, "x", reply_markup=two_actions)  # type: ignore[arg-type]


async def test_edits_deletes_and_their_errors(bot: Bot, client: SandboxClient) -> None:
    user = client.user(7)
    await user.send("hi")
    sent = await bot.send_message(7, "v1", reply_markup=keyboard(("A", "a")))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v1", 7, sent.message_id, reply_markup=keyboard(("A", "a")))
    edited = await bot.edit_message_text("<b>v2</b>", 7, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, Message)
    assert edited.text == "v2" and edited.reply_markup is None  # no markup passed: removed
    await bot.edit_message_reply_markup(7, sent.message_id, reply_markup=keyboard(("B", "b")))
    seen = user.messages()[-1]
    assert seen.text == "v2" and seen.button_texts == ["B"] and seen.html == "<b>v2</b>"
    assert [h["text"] for h in seen.history] == ["v1", "v2"]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", 7, 999)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", 7, 1)  # the user's own message
    assert await bot.delete_message(7, sent.message_id)
    assert user.messages()[-1].deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(7, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", 7, sent.message_id)


async def test_chat_not_found_and_chat_action(bot: Bot, client: SandboxClient) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(555, "who?")
    await client.user(555).send("hi")
    assert await bot.send_chat_action(555, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(555, "dancing")


async def test_callback_answer_is_recorded(bot: Bot, client: SandboxClient) -> None:
    user = client.user(7)
    await user.send("hi")
    sent = await bot.send_message(7, "pick", reply_markup=keyboard(("Go", "go"), ("No", "no")))
    query_id = client.backend.world.press(  # type: ignore[attr-defined]
        user.spec, 7, sent.message_id, index=1
    )
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None and query.data == "no" and query.id == query_id
    assert query.message is not None and query.message.message_id == sent.message_id
    assert query.chat_instance
    assert await query.get_bot().answer_callback_query(query.id, "Saved", show_alert=True)
    answer = await client.wait_for_callback_answer(query_id)
    assert answer.text == "Saved" and answer.show_alert
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)


async def test_raw_http_encodings_and_errors(server: SandboxServer, client: SandboxClient) -> None:
    await client.user(7).send("hi")
    base = f"{server.base_url}{TOKEN}"
    async with httpx.AsyncClient() as http:
        as_json = await http.post(
            f"{base}/sendMessage",
            json={"chat_id": 7, "text": "j", "reply_markup": {"inline_keyboard": []}},
        )
        as_form = await http.post(
            f"{base}/sendMessage",
            data={"chat_id": "7", "text": "f", "reply_markup": '{"inline_keyboard": []}'},
        )
        as_query = await http.get(f"{base}/sendMessage", params={"chat_id": 7, "text": "q"})
        unknown = await http.post(f"{base}/sendTelepathy")
        bad_token = await http.post(f"{server.base_url}not-a-token/getMe")
        case_insensitive = await http.get(f"{base}/GETME")
    assert [r.json()["result"]["text"] for r in (as_json, as_form, as_query)] == ["j", "f", "q"]
    assert unknown.status_code == 400
    assert unknown.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: method not found",
    }
    assert bad_token.status_code == 404
    assert bad_token.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert case_insensitive.json()["ok"]
    assert server.stats.calls["sendMessage"] == 3


async def test_malformed_token_is_invalid_for_ptb(server: SandboxServer) -> None:
    bad = Bot("123:short", base_url=server.base_url)
    with pytest.raises(InvalidToken):
        await bad.initialize()
    await bad.shutdown()
