from telegram import Bot

from sandbox import SandboxClient


async def test_get_me_and_echo(bot: Bot, client: SandboxClient) -> None:
    me = await bot.get_me()
    assert me.username == "gotong_sandbox_bot"
    user = client.user(42, "Ana")
    sent = await user.send("/start hello")
    updates = await bot.get_updates()
    assert updates[0].message is not None
    assert updates[0].message.text == "/start hello"
    msg = await bot.send_message(42, "<b>Hi</b> &amp; welcome", parse_mode="HTML")
    assert msg.text == "Hi & welcome"
    assert user.last_bot_message() is not None
    assert sent.message_id == 1
