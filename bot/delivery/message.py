"""What the delivery engine sends: the shape of a rendered message, not how it is written.

The engine never writes a text itself; renderers above it (the views layer) do, and hand
back a value with these attributes.  The protocols say what the sender reads, so the
views' own message and button types (`bot.views.render.Outgoing` and `Button`) are sent
as they are, and the engine needs nothing from the layers above it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

TEXT_LIMIT = 4096  # characters of a message Telegram accepts
CAPTION_LIMIT = 1024  # characters of a photo's or a document's caption


class MessageButton(Protocol):
    """An inline button: a plain-text label and either callback data or a link."""

    @property
    def text(self) -> str: ...

    @property
    def data(self) -> str | None: ...

    @property
    def url(self) -> str | None: ...


MessageKeyboard = Sequence[Sequence[MessageButton]]


class Message(Protocol):
    """A rendered message: HTML text, a keyboard and at most one attachment."""

    @property
    def text(self) -> str: ...

    @property
    def keyboard(self) -> MessageKeyboard: ...

    @property
    def photo(self) -> str | bytes | None: ...

    @property
    def document(self) -> bytes | str | None: ...

    @property
    def filename(self) -> str | None: ...

    @property
    def extra(self) -> Mapping[str, Any]: ...
