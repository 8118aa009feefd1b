"""Telegram's `parse_mode="HTML"`, parsed as strictly as Telegram does.

Our bot builds HTML from user input; an unescaped `<` or `&` or a tag Telegram does not know
makes the real API refuse the message.  The sandbox refuses it the same way (400
"can't parse entities"), so such bugs fail in tests instead of in a campaign.  The parser also
returns the visible text and message entities (offsets in UTF-16 code units, as Telegram).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError, bad_request

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")

# Tag name -> entity type; `None` means the tag itself needs its attributes to decide.
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_ATTR_TAGS = {"span", "a", "blockquote", "tg-emoji"}


@dataclass
class ParsedHtml:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Open:
    name: str
    start: int  # UTF-16 offset into the visible text
    entity: dict[str, Any] | None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, index: int) -> tuple[str, int]:
    """Decode the entity at `source[index] == "&"`; return (character, index after it)."""
    match = _ENTITY_RE.match(source, index)
    if match is None:
        raise _error(
            f'Character "&" must be escaped as "&amp;" at byte offset {_byte_offset(source, index)}'
        )
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        if name not in _NAMED_ENTITIES:
            raise _error(
                f'Unsupported HTML entity "&{name};" at byte offset {_byte_offset(source, index)}'
            )
        return _NAMED_ENTITIES[name], match.end()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise _error(f"Invalid character code at byte offset {_byte_offset(source, index)}")
    return chr(code), match.end()


def _parse_attrs(raw: str, source: str, at: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    raw = raw.rstrip()
    while pos < len(raw):
        match = _ATTR_RE.match(raw, pos)
        if match is None or match.end() == pos:
            raise _error(
                f"Can't parse attributes of a tag at byte offset {_byte_offset(source, at)}"
            )
        name, dq, sq, bare = match.groups()
        value = next((v for v in (dq, sq, bare) if v is not None), "")
        attrs[name.lower()] = _unescape_attr(value, source, at)
        pos = match.end()
    return attrs


def _unescape_attr(value: str, source: str, at: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            try:
                char, i = _decode_entity(value, i)
            except ApiError:
                raise _error(
                    f"Can't parse attributes of a tag at byte offset {_byte_offset(source, at)}"
                ) from None
            out.append(char)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _entity_for(name: str, attrs: dict[str, str], source: str, at: int) -> dict[str, Any] | None:
    if name in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[name]}
    if name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise _error(f'Unsupported start tag "span" at byte offset {_byte_offset(source, at)}')
        return {"type": "spoiler"}
    if name == "a":
        href = attrs.get("href")
        if not href:
            return None
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            return {
                "type": "text_mention",
                "user": {"id": int(user.group(1)), "is_bot": False, "first_name": ""},
            }
        return {"type": "text_link", "url": href}
    if name == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if name == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id:
            raise _error(
                f"Custom emoji identifier is missing at byte offset {_byte_offset(source, at)}"
            )
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    raise _error(f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, at)}')


def parse_html(source: str) -> ParsedHtml:
    """Parse Telegram HTML; raise a 400 `ApiError` exactly where Telegram would refuse it."""
    out: list[str] = []
    out_len = 0  # UTF-16 length of the visible text so far
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(source)
    while i < n:
        char = source[i]
        if char == "&":
            decoded, i = _decode_entity(source, i)
            out.append(decoded)
            out_len += utf16_len(decoded)
            continue
        if char != "<":
            out.append(char)
            out_len += 2 if ord(char) > 0xFFFF else 1
            i += 1
            continue
        after = source[i + 1 : i + 2]
        if not (after == "/" or (after.isascii() and after.isalpha())):
            # Like Telegram: a "<" that does not start a tag name is an empty start tag.
            raise _error(f'Unsupported start tag "" at byte offset {_byte_offset(source, i)}')
        close = source.find(">", i)
        if close == -1:
            raise _error(f"Unclosed start tag at byte offset {_byte_offset(source, i)}")
        body = source[i + 1 : close]
        if body.startswith("/"):
            name = body[1:].strip().lower()
            if not stack:
                raise _error(f"Unexpected end tag at byte offset {_byte_offset(source, i)}")
            top = stack.pop()
            if name != top.name:
                raise _error(
                    f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                    f'expected "</{top.name}>", found "</{name}>"'
                )
            if top.entity is not None and out_len > top.start:
                top.entity["offset"] = top.start
                top.entity["length"] = out_len - top.start
                entities.append(top.entity)
        else:
            match = _TAG_NAME_RE.match(body)
            if match is None:
                raise _error(f'Unsupported start tag "" at byte offset {_byte_offset(source, i)}')
            name = match.group(0).lower()
            if name not in _SIMPLE_TAGS and name not in _ATTR_TAGS:
                raise _error(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, i)}'
                )
            attrs = _parse_attrs(body[match.end() :], source, i)
            entity = _entity_for(name, attrs, source, i)
            if name == "code" and stack and stack[-1].name == "pre":
                language = attrs.get("class", "")
                pre = stack[-1].entity
                if language.startswith("language-") and pre is not None:
                    pre["language"] = language[len("language-") :]
                entity = None  # Telegram folds <pre><code> into one "pre" entity
            stack.append(_Open(name, out_len, entity))
        i = close + 1
    if stack:
        raise _error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedHtml("".join(out), entities)
