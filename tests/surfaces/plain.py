"""Plain-text surfaces as a person sees them: toasts, alerts and button labels.

Telegram shows these without parsing HTML, so a tag or an entity in them is visible
garbage (`<b>`, `&amp;`).  `plain_text_problems` lists every such label and answer the
sandbox holds; tests assert it is empty after a flow.
"""

from __future__ import annotations

import re

from sandbox import SandboxServer

# A Telegram HTML tag, or an HTML entity (named or numeric): what must never show.
MARKUP = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|a|code|pre|tg-spoiler|span|blockquote)\b[^>]*>"
    r"|&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);"
)


def markup_in(text: str | None) -> list[str]:
    return MARKUP.findall(text or "")


def plain_text_problems(sandbox: SandboxServer) -> list[str]:
    """Every button label and callback answer in the sandbox that shows markup."""
    world = sandbox.world
    problems: list[str] = []
    for chat_id in list(world.chats):
        for message in world.messages(chat_id):
            for label in message.button_texts:
                if markup_in(label):
                    problems.append(f"chat {chat_id} #{message.message_id} button {label!r}")
    for answer in world.answers.values():
        if markup_in(answer.text):
            problems.append(f"callback answer {answer.text!r}")
    return problems


def assert_plain(text: str | None) -> None:
    assert not markup_in(text), f"markup in a plain-text surface: {text!r}"
