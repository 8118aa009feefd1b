"""Typed callback data: one frozen dataclass per button kind, packed into ≤ 64 bytes.

    @callback("shc")
    @dataclass(frozen=True, slots=True)
    class ClaimShift(CallbackData):
        shift_id: int
        page: int = 0

    ClaimShift(12).pack()             # "shc1:12:0"
    ClaimShift.parse("shc1:12:0")     # ClaimShift(shift_id=12, page=0)
    ClaimShift.parse("shc1:12:x")     # None: forged, outdated or from an older version

A prefix names the kind and a version digit follows it: a button whose fields change gets
`version=2`, and the buttons already sitting in people's chats (version 1) no longer
parse; they get the one answer for unknown data ("this button is no longer valid"),
never a wrong action.  Fields are `int`, `str` (no ':'), `bool` and `StrEnum`s, optionally
`| None` (packed as an empty part).  Parsing is strict: `int` fields take plain digits
(at most 18, with an optional leading '-'), the part count must match exactly.  The data
only says what was pressed; who may do it, to what and now is re-checked by the service.

There is no registry: a kind parses its own data, and the bot's kinds are the ones its
features' button actions name (`tests/test_dispatch_table.py` checks their tags are
unique and fit).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit
SEPARATOR = ":"

C = TypeVar("C", bound="CallbackData")


class CallbackData:
    """Base of every button kind; `@callback(prefix)` fills in the class variables."""

    prefix: ClassVar[str] = ""
    version: ClassVar[int] = 1
    _fields: ClassVar[tuple[tuple[str, Any], ...]] = ()

    @classmethod
    def tag(cls) -> str:
        return f"{cls.prefix}{cls.version}"

    @classmethod
    def parse(cls: type[C], data: str | None) -> C | None:
        """This kind with its fields from `data`, or None for anything else."""
        if not data or len(data.encode()) > CALLBACK_DATA_LIMIT:
            return None
        tag, *parts = data.split(SEPARATOR)
        if tag != cls.tag() or len(parts) != len(cls._fields):
            return None
        values = {}
        for (name, hint), part in zip(cls._fields, parts, strict=True):
            ok, value = _decode(part, hint)
            if not ok:
                return None
            values[name] = value
        try:
            return cls(**values)
        except (TypeError, ValueError):  # a dataclass' own __post_init__ refused the values
            return None

    def pack(self) -> str:
        parts = [self.tag(), *(_encode(getattr(self, name)) for name, _ in self._fields)]
        data = SEPARATOR.join(parts)
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {data!r}")
        return data


def callback(prefix: str, *, version: int = 1) -> Callable[[type[C]], type[C]]:
    """Registers a button kind under `prefix` (letters only) and `version` (one digit)."""
    if not prefix.isalpha() or not 0 < version < 10:
        raise ValueError(f"bad callback prefix {prefix!r} or version {version}")

    def register(cls: type[C]) -> type[C]:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} must be a dataclass")
        cls.prefix, cls.version = prefix, version
        hints = typing.get_type_hints(cls)
        cls._fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
        return cls

    return register


def unpack(data: str | None, *kinds: type[CallbackData]) -> CallbackData | None:
    """The first of `kinds` that `data` parses as, or None."""
    for kind in kinds:
        found = kind.parse(data)
        if found is not None:
            return found
    return None


def _encode(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        value = value.value
    text = str(value)
    if SEPARATOR in text:
        raise ValueError(f"callback field {text!r} contains {SEPARATOR!r}")
    return text


def _decode(part: str, hint: Any) -> tuple[bool, Any]:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        if part == "":
            return True, None
        hint = next(a for a in args if a is not type(None))
    if hint is bool:
        return (part in ("0", "1")), part == "1"
    if hint is int:
        digits = part[1:] if part.startswith("-") else part
        if not (digits.isdigit() and digits.isascii() and len(digits) <= 18):
            return False, None
        return True, int(part)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return True, hint(part)
        except ValueError:
            return False, None
    if hint is str:
        return (part != ""), part
    raise TypeError(f"unsupported callback field type {hint!r}")
