"""Domain errors: a service raises one, a handler turns it into a friendly message.

Each error carries the catalog key of the message and its parameters, so the
handler needs no if-chains and the text is always in the reader's language.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no.  `key` is an i18n catalog key, `params` fill its placeholders."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class NotAllowed(DomainError):
    """The person's role does not permit this action (also audited)."""

    key = "error.not_allowed"


class NotFound(DomainError):
    key = "error.not_found"


class InvalidInput(DomainError):
    key = "error.invalid_input"


class Conflict(DomainError):
    """The state changed under the person (full, already done, stale button)."""

    key = "error.conflict"
