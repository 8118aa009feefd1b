"""An interactive chat with the bot in a terminal, for newcomers without a Telegram account.

It impersonates people on the sandbox's user side and prints every bot message to any chat
as it arrives, with numbered buttons to press.  Input is read by a thread so the event loop
(and the bot running in it) never blocks on the keyboard; a pipe or a file works the same,
which is also how the tests drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from sandbox.errors import SandboxError, SandboxTimeout
from sandbox.models import SandboxEvent, SandboxMessage, UserSpec
from sandbox.server import SandboxServer

HELP = """\
Type a message or a /command and press Enter: it goes to the bot as the current person.
Terminal commands:
  !N                       press button N of the latest bot message with buttons
  /as ID [NAME] [LANG]     become person ID (new people are called "User ID")
  :people                  the people this sandbox knows (kept between runs)
  :loc LAT LON             share a location            :doc PATH   send a file
  :help                    this help                   :quit       leave (Ctrl-D too)"""


def _start_reader(stream: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines from `stream`, read on a daemon thread; None marks end of input."""
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def post(line: str | None) -> None:
        # The loop may be gone when the person quit while the thread still waited for input.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lines.put_nowait, line)

    def read() -> None:
        try:
            for line in iter(stream.readline, ""):
                post(line.rstrip("\r\n"))
        except (OSError, ValueError):
            pass  # a closed stream ends the chat like EOF does
        post(None)

    threading.Thread(target=read, name="sandbox-terminal-input", daemon=True).start()
    return lines


def _chat_label(message: SandboxMessage) -> str:
    chat: dict[str, Any] = message.raw["chat"]
    if chat["type"] == "private":
        return f"{chat.get('first_name', '')} ({chat['id']})"
    return f'"{chat.get("title", "")}" ({chat["id"]})'


def _keyboard_lines(message: SandboxMessage) -> list[str]:
    lines: list[str] = []
    number = 0
    for row in message.buttons:
        cells: list[str] = []
        for button in row:
            number += 1
            target = "" if "callback_data" in button else f" -> {button.get('url', '…')}"
            cells.append(f"[{number} {button['text']}{target}]")
        lines.append("   " + " ".join(cells))
    if message.reply_keyboard and "keyboard" in message.reply_keyboard:
        for row in message.reply_keyboard["keyboard"]:
            labels = [b if isinstance(b, str) else b.get("text", "") for b in row]
            lines.append("   keyboard: " + " | ".join(labels))
    return lines


def format_event(event: SandboxEvent) -> str:
    """How one bot message (new, edited or deleted) looks in the terminal."""
    message = event.message
    head = f"[bot -> {_chat_label(message)} #{message.message_id}"
    head += {"message": "]", "edit": ", edited]", "delete": ", deleted]"}[event.kind]
    if event.kind == "delete":
        return head
    lines = [head]
    if message.document is not None:
        name = message.document.get("file_name", "file")
        lines.append(f"[document: {name}, {message.document.get('file_size', 0)} bytes]")
    if message.photo:
        size = message.photo[-1]
        lines.append(
            f"[photo: {size.get('width')}x{size.get('height')}, {size.get('file_size', 0)} bytes]"
        )
    if message.text:
        lines.append(message.text)
    lines.extend(_keyboard_lines(message))
    return "\n".join(lines)


class TerminalChat:
    def __init__(self, server: SandboxServer, first_user_id: int, out: TextIO) -> None:
        self.server = server
        self.world = server.world
        self.out = out
        self.user = self._person(first_user_id, None, None)
        self.printed = 0  # bot messages shown so far; lets the end-of-input linger see quiet

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _person(self, user_id: int, name: str | None, language: str | None) -> UserSpec:
        known = self.world.users.get(user_id)
        return UserSpec(
            user_id=user_id,
            first_name=name or (known.first_name if known else f"User {user_id}"),
            language_code=language or (known.language_code if known else "en"),
        )

    async def print_events(self, events: asyncio.Queue[SandboxEvent]) -> None:
        while True:
            event = await events.get()
            if event.message.from_bot:
                self.say(format_event(event))
                self.printed += 1

    async def handle(self, line: str) -> bool:
        """Act on one input line; False when the person wants to leave."""
        text = line.strip()
        if not text:
            return True
        try:
            if text in (":quit", ":q", ":exit"):
                return False
            if text in (":help", ":h", ":?"):
                self.say(HELP)
            elif text.startswith("!"):
                await self._press(text[1:].strip())
            elif text == "/as" or text.startswith("/as "):
                self._switch(text[3:].split())
            elif text == ":people":
                self._list_people()
            elif text.startswith(":loc"):
                latitude, longitude = (float(v) for v in text.split()[1:3])
                self.world.send_location(self.user, latitude, longitude)
            elif text.startswith(":doc"):
                self._send_file(shlex.split(text)[1])
            elif text.startswith(":"):
                self.say(f"unknown terminal command {text.split()[0]!r}; type :help")
            else:
                self.world.send_text(self.user, text)
        except (SandboxError, ValueError, IndexError, OSError) as error:
            self.say(f"! {error}")
        return True

    def _switch(self, args: list[str]) -> None:
        if not args:
            raise SandboxError("usage: /as ID [NAME] [LANG]")
        self.user = self._person(
            int(args[0]), args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else None
        )
        self.world.users[self.user.user_id] = self.user
        self.say(f"(you are now {self.user.first_name}, id {self.user.user_id})")

    def _list_people(self) -> None:
        people = sorted(self.world.users.values(), key=lambda u: u.user_id)
        if not people:
            self.say("(nobody yet: /as ID NAME LANG adds a person)")
        for person in people:
            you = " <- you" if person.user_id == self.user.user_id else ""
            self.say(f"  {person.user_id} {person.first_name} ({person.language_code or '?'}){you}")

    def _send_file(self, path: str) -> None:
        file = Path(path).expanduser()
        is_photo = file.suffix.lower() in (".jpg", ".jpeg", ".png")
        self.world.send_file(
            self.user,
            kind="photo" if is_photo else "document",
            content=file.read_bytes(),
            file_name=file.name,
            mime_type=None,
        )

    async def _press(self, number: str) -> None:
        index = int(number) - 1
        chat = self.world.chats.get(self.user.user_id)
        candidates = (
            []
            if chat is None
            else [
                m
                for m in reversed(chat.messages.values())
                if m.from_bot and not m.deleted and m.content.get("reply_markup")
            ]
        )
        if not candidates:
            raise SandboxError("no bot message with buttons in this chat yet")
        target = candidates[0]
        query_id = self.world.press(self.user, target.chat.chat_id, target.message_id, index=index)
        asyncio.get_running_loop().create_task(self._show_answer(query_id))

    async def _show_answer(self, query_id: str) -> None:
        try:
            answer = await self.world.wait_for_callback_answer(query_id, timeout=10)
        except SandboxTimeout:
            self.say("(the bot did not answer the button press)")
            return
        if answer.text:
            self.say(f"({'alert' if answer.show_alert else 'toast'}: {answer.text})")


async def run_terminal_chat(
    server: SandboxServer,
    *,
    first_user_id: int = 1,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    linger_seconds: float = 2.0,
    script_pace_seconds: float = 1.2,
) -> None:
    """Chat with the bot until `:quit` or end of input.

    At end of input (a piped script) it lingers until the bot has been quiet for
    `linger_seconds`, so the replies to the last lines are still printed.  A piped
    script is also paced like a person who reads before typing: after each line it
    waits until the bot has been quiet for `script_pace_seconds`, so `!1` presses a
    button of the reply to the line before, not of an older message.  Both are longer
    than Telegram's one message per second in a chat, which the bot's pacer keeps: a
    second reply to one line arrives a second after the first, and must not be missed.
    """
    stdin = stdin or sys.stdin
    scripted = not stdin.isatty()
    chat = TerminalChat(server, first_user_id, stdout or sys.stdout)
    events = server.world.watch()
    printer = asyncio.get_running_loop().create_task(chat.print_events(events))
    lines = _start_reader(stdin, asyncio.get_running_loop())
    chat.say(
        f"Gotong sandbox chat with @{server.world.bot_username}; you are "
        f"{chat.user.first_name} (id {chat.user.user_id}).\n{HELP}"
    )
    try:
        while True:
            line = await lines.get()
            if line is None:
                await _linger(chat, events, linger_seconds)
                break
            if not await chat.handle(line):
                break
            if scripted:
                await _linger(chat, events, script_pace_seconds)
    finally:
        server.world.unwatch(events)
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer


async def _linger(chat: TerminalChat, events: asyncio.Queue[SandboxEvent], quiet: float) -> None:
    """Wait until nothing was printed for `quiet` seconds (at most a minute in total)."""
    for _ in range(int(60 / quiet) if quiet > 0 else 0):
        printed = chat.printed
        await asyncio.sleep(quiet)
        if chat.printed == printed and events.empty():
            return
