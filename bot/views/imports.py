"""How /import speaks: the preview of a file with its problems, Import / Cancel, the result.

The buttons name the file's digest: they are re-checked against the person's own pending
import (who, which file, still pending), so a button under an older preview does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.reach.imports import ImportPreview, ImportResult
from bot.views.callbacks import CallbackData, callback
from bot.views.render import Button, Keyboard, Reader

MAX_ERRORS_SHOWN = 15


@callback("imc")
@dataclass(frozen=True, slots=True)
class ConfirmImport(CallbackData):
    """Import the previewed file (named by its digest)."""

    digest: str


@callback("imx")
@dataclass(frozen=True, slots=True)
class CancelImport(CallbackData):
    digest: str


def preview_lines(reader: Reader, file_name: str, preview: ImportPreview) -> list[str]:
    """What importing the file would do, with the first problems by row number."""
    lines = [reader.t("imports.preview", file=file_name, read=preview.read, new=preview.new,
                      known=preview.known, errors=len(preview.errors))]
    if preview.errors:
        lines.append(reader.t("imports.errors_title"))
        for error in preview.errors[:MAX_ERRORS_SHOWN]:
            lines.append(reader.t("imports.error_line", line=error.line,
                                  reason=reader.t(f"imports.err_{error.reason}",
                                                  value=error.value)))
        if len(preview.errors) > MAX_ERRORS_SHOWN:
            lines.append(reader.t("imports.errors_more",
                                  count=len(preview.errors) - MAX_ERRORS_SHOWN))
    if preview.new == 0:
        lines.append(reader.t("imports.nothing_new"))
    else:
        lines.append(reader.t("imports.confirm_hint", new=preview.new))
    return lines


def preview_keyboard(reader: Reader, preview: ImportPreview) -> Keyboard:
    return [[
        Button(reader.t("imports.btn_confirm"), ConfirmImport(preview.digest).pack()),
        Button(reader.t("imports.btn_cancel"), CancelImport(preview.digest).pack()),
    ]]


def done_text(reader: Reader, result: ImportResult) -> str:
    return reader.t("imports.done", created=result.created, known=result.known,
                    errors=result.errors)
