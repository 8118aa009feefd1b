"""/summary A vs B and the chat around /report pdf: the measures side by side, as text.

Light on purpose (no fpdf2, no matplotlib): the handlers import it at start, while the
PDF's layout (`bot.views.report_pdf`) loads with the first PDF.  The PDF's comparison
page writes its values with the same `compare_values`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.progress.report_pdf import CompareRow, Comparison, PdfReport
from bot.views.render import Reader


def compare_values(reader: Reader, row: CompareRow) -> tuple[str, str, str]:
    """(left, right, difference) as the reader writes numbers: 82% / 75% / +7 pp."""

    def shown(v: float | None) -> str:
        if v is None:
            return "–"
        if row.kind == "rate":
            return reader.percent(v)
        return reader.number(round(v, 1))

    if row.a is None or row.b is None:
        diff = "–"
    else:
        delta = row.a - row.b
        sign = "+" if delta > 0 else ""
        diff = (
            f"{sign}{reader.number(round(delta * 100, 1))} pp"
            if row.kind == "rate"
            else f"{sign}{reader.number(round(delta, 1))}"
        )
    return shown(row.a), shown(row.b), diff


def pdf_working(reader: Reader, report: PdfReport) -> str:
    last = report.end - timedelta(microseconds=1)
    return reader.t("feedback.pdf_working", start=reader.date(report.start), end=reader.date(last))


def pdf_caption(reader: Reader, report: PdfReport) -> str:
    key = "feedback.pdf_caption_empty" if report.main.is_empty else "feedback.pdf_caption"
    return reader.t(key)[:1024]


def _compare_period(reader: Reader, span: tuple[datetime, datetime]) -> str:
    last = span[1] - timedelta(microseconds=1)
    return reader.t("feedback.compare_period", start=reader.date(span[0]), end=reader.date(last))


def compare_lines(reader: Reader, result: Comparison) -> list[str]:
    """/summary A vs B: two teams (over one period) or two periods, one line per measure."""
    if result.teams is not None:
        head = reader.t("feedback.compare_title", a=result.teams[0], b=result.teams[1])
        lines = [head, _compare_period(reader, result.periods[0])]
    else:
        a = _compare_period(reader, result.periods[0])
        b = _compare_period(reader, result.periods[1])
        lines = [reader.t("feedback.compare_title", a=a, b=b)]
    for row in result.rows:
        va, vb, diff = compare_values(reader, row)
        name = reader.i18n.raw(reader.lang, f"report_pdf.{row.key}")
        lines.append(reader.t("feedback.compare_line", name=name, a=va, b=vb, diff=diff))
    lines.append(reader.t("feedback.compare_hint"))
    return lines
