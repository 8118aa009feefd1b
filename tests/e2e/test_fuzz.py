"""A bounded, seeded fuzz through the real Application and the sandbox.

Two dozen people (every role, some never seen before, names carrying HTML, RTL and emoji)
send a few hundred generated updates: commands from their own /help with hostile
arguments (unicode, RTL, emoji, 4,096-character text, HTML and markdown injection, NUL),
plain text into whatever flow they are in, forged and foreign callback data, real
buttons of what the bot showed them (stale ones too), documents, photos, locations and
group messages.  Afterwards:

- nothing reached the error handler and no exception was logged;
- every message the bot sent (every version of it) fits 4,096 characters, every caption
  1,024, every button's callback data 64 bytes;
- user text was escaped everywhere: each injected tag wraps a unique marker, and in every
  bot message the marker is still preceded by its tag as visible text (an interpreted
  tag would vanish and format the marker; a doubly escaped one would show `&lt;`), and no
  bold entity covers a `<b>` marker;
- every callback query was answered, and the bot answers /help at once at the end.

Each person's updates are handled in order, so a person's presses (which wait for their
answer) and their final /help synchronise without sleeps.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram.error import BadRequest

from bot.clock import FrozenClock
from bot.features import bot_features, command_table
from bot.services.authz import Permission
from bot.services.people.members import actor_by_telegram_id
from sandbox import SandboxMessage, UserSpec
from tests.conftest import T0
from tests.e2e.test_button_authz import PEOPLE, seed
from tests.support.harness import BotHarness, deliver, start_harness

SEED = 18
ACTIONS_PER_PERSON = 16
# Groups get 20 messages a minute: enough of them that the fuzz stays inside the window
# (a person's later updates wait for their group reply, in order).
GROUPS = tuple(-100_018_000 - n for n in range(1, 9))
PRESS_TIMEOUT = 30.0
TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_LIMIT = 4096, 1024, 64
FORMATTING = {"bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre",
              "text_link", "blockquote", "expandable_blockquote"}

# Every callback prefix the handlers register, with the actions they read.
# Every button kind of the bot (tag -> its fields), plus the string prefixes of the
# version before typed callback data: old buttons still sitting in people's chats.
KINDS = {a.kind.tag(): len(a.kind._fields) for f in bot_features() for a in f.buttons}
OLD_PREFIXES = ["bc:go", "sh:c", "tk:c", "evr:g", "evt:card", "sum:t", "fb:r", "grp:c", "imp:ok"]

EXTRA_PEOPLE = [
    # (telegram id, first name, language code): never seen by the bot before the fuzz.
    (40, "\u202eRTL name", "ar"), (41, "Ani 🌸🌸", "id"), (42, "<b>FZ9001Z</b>", "en"),
    (43, "Budi & <i>FZ9002Z</i>", "id"), (44, "محمد", None), (45, "&amp; <script>", "en"),
    (46, "x" * 64, "en"), (47, "Wayan", "id"), (48, "李", "zh"), (49, "Ö", "de"),
    (50, "<a href='x'>FZ9003Z</a>", "en"), (51, "Putu", "id"), (52, "Komang 🇮🇩", "id"),
    (53, "Ketut", "en"), (54, "Dewa", "id"), (55, "Gede", "en"),
]
NAME_MARKERS = {"FZ9001Z": "<b>", "FZ9002Z": "<i>", "FZ9003Z": "<a href='x'>"}


@dataclass
class Fuzz:
    """One person's generator: their own seeded stream, so what they do does not depend on
    how the bot's replies to everyone interleave.  `markers` is shared by all."""

    uid: int
    rng: random.Random
    objects: dict[str, int]
    markers: dict[str, str]  # marker -> the tag typed right before it
    anchor: int = 0  # a bot message in their chat that forged data is pressed on
    sent: int = 0
    presses: int = 0
    refused_by_sandbox: int = 0
    sent_markers: int = 0

    def marker(self) -> str:
        tag = self.rng.choice(["<b>", "<i>", "<u>", "<code>", "<s>", '<a href="http://x.test">',
                               "<script>", "<tg-spoiler>", "<pre>"])
        self.sent_markers += 1
        name = f"FZ{self.uid}x{self.sent_markers}Z"
        self.markers[name] = tag
        close = "</" + tag[1:].split()[0].rstrip(">") + ">"
        return f"{tag}{name}{close}"

    def nasty(self) -> str:
        r = self.rng
        pieces = [
            self.marker, lambda: "<b>unclosed", lambda: "&", lambda: "&amp;", lambda: "a < b > c",
            lambda: "*bold* _it_ `code` [x](http://x.test)", lambda: "\x00", lambda: "nul\x00in",
            lambda: "مرحبا بالعالم", lambda: "\u202eevil\u202c", lambda: "🇮🇩🔥👩‍👩‍👧‍👦",
            lambda: "é" * r.randint(1, 300), lambda: str(r.randint(-5, 10**20)),
            lambda: r.choice(["besok 08:00", "2026-11-29 10:00", "3j", "Sabtu 08:00", "kemarin"]),
            lambda: r.choice(["TeamA", "TeamB", "-", "all", "semua", "@ani", "#1", "|", "||"]),
            lambda: str(r.choice(list(self.objects.values()))),
            lambda: "\n".join(["line"] * r.randint(1, 50)), lambda: "　",  # ideographic space
        ]
        return " ".join(r.choice(pieces)() for _ in range(r.randint(1, 4)))

    def long_text(self) -> str:
        return (self.marker() + " " + "ж" * TEXT_LIMIT)[:TEXT_LIMIT]


def _args_for(fz: Fuzz, command: str) -> str:
    r, o, n = fz.rng, fz.objects, fz.nasty
    shaped = {
        "newshift": lambda: f"{r.choice(['TeamA', 'TeamB', n()])} | {n()} | besok 08:00 | 3j"
                            f" | {r.randint(0, 30)} | {n()}",
        "newtask": lambda: f"TeamA | {n()} | besok 17:00 | {r.randint(1, 5)}",
        "newevent": lambda: f"{n()} | 2026-11-29 10:00 | 3h | {n()} | {r.choice(['TeamA', '-'])}"
                            f" | {r.randint(1, 50)}",
        "editevent": lambda: f"{o['event_a']} {r.choice(['title', 'place', 'description'])} {n()}",
        "editshift": lambda: f"{o['shift_a']} place {n()}",
        "team": lambda: r.choice([f"create {n()}", f"add TeamA {n()}", n(), "", "list"]),
        "skills": lambda: r.choice([f"add {n()}", f"remove {n()}", ""]),
        "budgetline": lambda: f"{n()} {r.randint(1, 10**7)}",
        "fund": lambda: f"{r.randint(1, 10**7)} {n()}",
        "expense": lambda: f"{r.randint(1, 10**6)} Printing {n()}",
        "done": lambda: f"{r.randint(0, 100)} doors {n()}",
        "tz": lambda: r.choice(["Asia", "America", "Europe/Berlin", "wib", "../etc", n()]),
        "invite": lambda: r.choice(["TeamA volunteer 7 10", "- coordinator", n()]),
        "promote": lambda: f"{r.choice(['@ani', '30', n()])} {r.choice(['lead', 'admin', n()])}",
        "goal": lambda: r.choice(["doors 100 2026-12-31", f"off {n()}", n()]),
    }
    make = shaped.get(command)
    if make is not None and r.random() < 0.6:
        return make()
    return r.choice([n, n, fz.long_text, lambda: "", lambda: str(r.choice(list(o.values())))])()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def _forged(fz: Fuzz) -> str:
    r = fz.rng
    choice = r.random()
    if choice < 0.15:  # 64 bytes of junk (or fewer), colons included
        junk = "".join(r.choice("abc:0123456789-_é🙂<>&") for _ in range(r.randint(1, 40)))
        while len(junk.encode()) > CALLBACK_LIMIT:
            junk = junk[:-1]
        return junk or "x"
    if choice < 0.25:
        head = r.choice(OLD_PREFIXES)
        count = r.randint(0, 3)
    else:
        head = r.choice(list(KINDS))
        count = KINDS[head] if r.random() < 0.7 else r.randint(0, 4)  # sometimes wrong
    ids = [str(r.choice(list(fz.objects.values()))) for _ in range(count)]
    if ids and r.random() < 0.3:
        ids[r.randrange(len(ids))] = r.choice(["-1", "0", "abc", "9" * 30, "1e3", " 1", "٣", ""])
    data = ":".join([head, *ids])
    while len(data.encode()) > CALLBACK_LIMIT:
        data = data[:-1]
    return data


async def _act(bot: BotHarness, fz: Fuzz, user_id: int, commands: list[str]) -> None:
    """One generated update from this person."""
    r = fz.rng
    user = bot.users[user_id]
    roll = r.random()
    fz.sent += 1
    try:
        if roll < 0.40:
            command = r.choice(commands)
            suffix = "@gotong_sandbox_bot" if r.random() < 0.1 else ""
            args = _args_for(fz, command)
            await user.send(_cut(f"/{command}{suffix} {args}".rstrip() or "/help", TEXT_LIMIT))
        elif roll < 0.52:
            await user.send(_cut(r.choice([fz.nasty, fz.long_text, fz.nasty])() or ".",
                                 TEXT_LIMIT))
        elif roll < 0.72:
            await _press(bot, fz, user_id, real=r.random() < 0.5)
        elif roll < 0.78:
            await user.upload_document(
                r.randbytes(r.randint(1, 2048)),
                r.choice(["receipt.pdf", "<b>x</b>.txt", "\u202egpj.exe", "a" * 200, "..."]),
                caption=_cut(fz.nasty(), CAPTION_LIMIT) if r.random() < 0.7 else None,
                mime_type=r.choice(["application/pdf", "text/plain", "image/png", None]),
            )
        elif roll < 0.84:
            await user.upload_photo(
                r.randbytes(r.randint(16, 4096)),
                caption=_cut(fz.nasty(), CAPTION_LIMIT) if r.random() < 0.7 else None,
            )
        elif roll < 0.90:
            lat, lon = r.choice([(-6.2, 106.8), (90.0, 180.0), (-90.0, -180.0), (0.0, 0.0),
                                 (r.uniform(-90, 90), r.uniform(-180, 180))])
            await user.send_location(lat, lon)
        else:
            group = r.choice(GROUPS)
            text = r.choice([f"/{r.choice(commands)} {fz.nasty()}", fz.nasty(), "/help",
                             f"/start@gotong_sandbox_bot {fz.nasty()}"])
            await user.send(_cut(text.strip() or "hi", TEXT_LIMIT), chat_id=group)
    except Exception as exc:  # the sandbox refusing what no Telegram client can send
        from sandbox.errors import SandboxError

        if not isinstance(exc, SandboxError) or "within" in str(exc):
            raise
        fz.refused_by_sandbox += 1


async def _press(bot: BotHarness, fz: Fuzz, user_id: int, *, real: bool) -> None:
    """A real button of a message the person sees (stale ones too), or forged data on one;
    sometimes a button of someone else's message in a group.  Waits for the answer: every
    callback query must be answered, and it orders this person's updates."""
    r = fz.rng
    user = bot.users[user_id]
    # Forged data first, on their own chat: answered only after everything they sent before
    # was handled (their updates run in order), so the buttons chosen next are current.
    fz.presses += 1
    await user.press(fz.anchor, data=_forged(fz), expect="answer", timeout=PRESS_TIMEOUT)
    if not real:
        return
    chat = r.choice(GROUPS) if r.random() < 0.15 else user_id
    shown = [m for m in bot.client.messages(chat) if m.from_bot and not m.deleted]
    if not shown:
        return
    with_buttons = [m for m in shown if m.buttons]
    message: SandboxMessage = r.choice(with_buttons) if real and with_buttons else r.choice(shown)
    data = None
    if not (real and message.buttons):
        data = _forged(fz)
    button = r.randrange(len(message.button_texts)) if data is None else None
    fz.presses += 1
    try:
        await user.press(message, button, data=data, chat_id=chat, expect="answer",
                         timeout=PRESS_TIMEOUT)
    except Exception as exc:
        from sandbox.errors import SandboxError

        # A URL button has no callback data: nothing to press.
        if isinstance(exc, SandboxError) and "not a callback button" in str(exc):
            return
        raise


def _versions(message: SandboxMessage) -> list[dict[str, Any]]:
    return [message.raw, *message.history]


def _visible(version: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    if "caption" in version:
        return str(version["caption"]), list(version.get("caption_entities") or [])
    return str(version.get("text") or ""), list(version.get("entities") or [])


def _utf16_slice(text: str, offset: int, length: int) -> str:
    raw = text.encode("utf-16-le")
    return raw[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")


def _problems(message: SandboxMessage, markers: dict[str, str]) -> list[str]:
    found = []
    where = f"chat {message.chat_id} #{message.message_id}"
    for version in _versions(message):
        text, entities = _visible(version)
        if "caption" in version and len(text) > CAPTION_LIMIT:
            found.append(f"{where}: caption of {len(text)} characters")
        if "text" in version and len(text) > TEXT_LIMIT:
            found.append(f"{where}: text of {len(text)} characters")
        markup = version.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and len(data.encode()) > CALLBACK_LIMIT:
                    found.append(f"{where}: callback data {data!r}")
        for name, tag in markers.items():
            start = text.find(name)
            while start != -1:
                if not text[:start].endswith(tag):
                    found.append(f"{where}: {tag}{name} not shown as typed: "
                                 f"{text[max(0, start - 40):start + 20]!r}")
                start = text.find(name, start + 1)
        for entity in entities:
            if entity.get("type") in FORMATTING:
                covered = _utf16_slice(text, int(entity["offset"]), int(entity["length"]))
                for name, tag in markers.items():
                    if tag == "<b>" and name in covered and entity["type"] == "bold" and (
                        tag + name not in covered
                    ):
                        found.append(f"{where}: bold covers the injected {name}")
    return found


@pytest.mark.timeout(120)
async def test_fuzz_leaves_no_error_no_oversize_and_no_unescaped_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        objects = await seed(bot)
        markers = dict(NAME_MARKERS)
        for group in GROUPS:
            await bot.client.create_group(group, f"Relawan {group}")
        everyone: dict[int, list[str]] = {}
        for key, (tid, name, *_rest) in PEOPLE.items():
            bot.user(tid, name, "en")
            actor = await actor_by_telegram_id(bot.db, tid, "id")
            assert actor is not None, key
            everyone[tid] = [c.name for c in command_table().for_actor(actor)]
        guest = [c.name for c in command_table()
                 if c.permission in (None, Permission.VOLUNTEER, Permission.RECORD_EXPENSE)]
        for tid, name, lang in EXTRA_PEOPLE:
            bot.sandbox.world.private_chat(UserSpec(tid, name, language_code=lang))
            bot.user(tid, name, lang or "")
            everyone[tid] = guest

        fuzzers = {uid: Fuzz(uid, random.Random(f"{SEED}:{uid}"), objects, markers)
                   for uid in everyone}
        world = bot.sandbox.world
        for uid, fuzzer in fuzzers.items():
            fuzzer.anchor = world.add_message(
                world.private_chat(bot.users[uid].spec), sender=world.bot_user(),
                from_bot=True, content={"text": "Menu"},
            ).message_id

        async def person(user_id: int) -> None:
            for _ in range(ACTIONS_PER_PERSON):
                await _act(bot, fuzzers[user_id], user_id, everyone[user_id])
            # Handled in order: their /help is answered after everything they sent.
            await bot.users[user_id].send_and_wait(
                "/help", predicate=lambda m: "/help —" in m.text, timeout=60
            )

        await asyncio.gather(*(person(uid) for uid in everyone))
        await deliver(bot)  # what the fuzz queued (broadcasts, offers, notices) is sent too

        newcomer = bot.user(99, "Late", "en")
        answer = await newcomer.send_and_wait("/help", predicate=lambda m: "/help —" in m.text)
        assert "/start" in answer.text

        # The sandbox parses HTML as strictly as Telegram: a broken tag is refused.
        with pytest.raises(BadRequest):
            await bot.app.bot.send_message(99, "<b>unclosed", parse_mode="HTML")

        problems: list[str] = []
        chats = [*everyone, 99, *GROUPS]
        for chat in chats:
            for message in bot.client.messages(chat):
                if message.from_bot:
                    problems += _problems(message, markers)

        # The check can fail: user text sent unescaped is caught.
        unescaped = await bot.app.bot.send_message(99, "Hi <b>FZ99x1Z</b>", parse_mode="HTML")
        caught = _problems(bot.client.messages(99)[-1], {"FZ99x1Z": "<b>"})
        assert unescaped.text == "Hi FZ99x1Z" and len(caught) == 2, caught
        unanswered = dict(bot.sandbox.world.pending_callbacks)
    errors = [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or "exception" in r.getMessage().lower()
        or (r.exc_info and r.name != "httpx")
    ]
    assert not errors, "\n".join(errors[:20])
    assert not problems, "\n".join(problems[:20])
    assert not unanswered, f"callback queries never answered: {unanswered}"
    sent = sum(f.sent for f in fuzzers.values())
    presses = sum(f.presses for f in fuzzers.values())
    assert sent + len(everyone) >= 300 and presses > 30, (sent, presses)
