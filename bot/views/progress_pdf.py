"""The PDF's page and drawing primitives: the font, text that font can draw, tables, bars.

Why fpdf2: pure Python (no system libraries, unlike WeasyPrint's Pango/Cairo), small,
actively maintained, embeds and subsets TrueType fonts, and its tables break across
pages with the heading repeated.  The font is DejaVu Sans as shipped inside
matplotlib (already a dependency): every Latin letter Indonesian needs, "Rp", and
most scripts a comment may carry; glyphs it lacks (colour emoji) are dropped rather
than drawn as boxes.  Charts are vector shapes in black, greys and outlines, with
values printed beside them, so they read on a black-and-white printout.  The report's
sections are `bot.views.progress_pdf_sections` and `bot.views.report_pdf`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from bot.services.progress.feedback_scores import Scores
from bot.services.progress.report_pdf import PdfReport
from bot.views.render import Reader, to_plain, truncate

FONT = "DejaVu"
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
INK, DARK, MID, LIGHT, PAPER = 0, 60, 140, 215, 255
COMMENT_CHARS = 700
CHART_H = 45


@cache
def _glyphs() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(REGULAR), lazy=True) as font:
        return frozenset(font.getBestCmap())


def clean(text: str) -> str:
    """Text the embedded font can draw: unknown glyphs (colour emoji) are left out."""
    glyphs = _glyphs()
    out = "".join(ch for ch in text if ord(ch) in glyphs or ch in "\n\t")
    return " ".join(out.split()) if "\n" not in out else out


class ReportPdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(True, margin=18)
        self.add_font(FONT, "", str(REGULAR))
        self.add_font(FONT, "B", str(BOLD))
        self.set_font(FONT, size=10)
        self.set_creator("Gotong")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(MID)
        self.cell(0, 5, clean(self.footer_text), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="R")
        self.set_text_color(INK)


class PdfPage:
    """The report's document and the primitives its sections write with (reader's language)."""

    def __init__(self, report: PdfReport, reader: Reader) -> None:
        self.r, self.reader = report, reader
        self.pdf = ReportPdf(
            self.t("footer", campaign=report.campaign, date=reader.date(report.now))
        )
        self.width = self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    # -- text helpers -----------------------------------------------------------------------
    def t(self, key: str, **params: Any) -> str:
        """A catalog entry as plain text (the PDF is not HTML), plural forms chosen by count."""
        return to_plain(self.reader.t(f"report_pdf.{key}", **params))

    def n(self, value: float) -> str:
        return self.reader.number(value)

    def pct(self, ratio: float | None) -> str:
        return "–" if ratio is None else self.reader.percent(ratio)

    def day(self, moment: datetime) -> str:
        return self.reader.date(moment)

    def period(self, start: datetime, end: datetime) -> str:
        last = end - timedelta(microseconds=1)
        return self.t("period", start=self.day(start), end=self.day(last))

    def avg(self, scores: Scores) -> str:
        a = scores.average
        return "–" if a is None else f"{self.n(round(a, 1))}/5"

    def ensure(self, height: float) -> None:
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def heading(self, text: str) -> None:
        self.ensure(30)
        self.pdf.ln(3)
        self.pdf.set_font(FONT, "B", 14)
        self.pdf.cell(0, 8, clean(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_draw_color(INK)
        self.pdf.line(
            self.pdf.l_margin, self.pdf.get_y(), self.pdf.l_margin + self.width, self.pdf.get_y()
        )
        self.pdf.ln(2)
        self.pdf.set_font(FONT, size=10)

    def sub(self, text: str) -> None:
        self.ensure(18)
        self.pdf.ln(1)
        self.pdf.set_font(FONT, "B", 11)
        self.pdf.cell(0, 6, clean(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(FONT, size=10)

    def para(self, text: str, size: float = 10) -> None:
        self.pdf.set_font(FONT, size=size)
        self.pdf.multi_cell(0, 5, clean(text), new_x="LMARGIN", new_y="NEXT")

    def table(
        self,
        head: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str] | None = None,
    ) -> None:
        """A table that breaks across pages and repeats its heading on each."""
        self.ensure(16)
        self.pdf.set_font(FONT, size=8.5 if len(head) <= 6 else 7.5)
        aligns = tuple(align or ("LEFT", *("RIGHT",) * (len(head) - 1)))
        # Charts leave their greys set; table rows are white (only the heading is shaded).
        self.pdf.set_fill_color(PAPER)
        self.pdf.set_draw_color(INK)
        with self.pdf.table(
            col_widths=tuple(widths),
            text_align=aligns,
            headings_style=FontFace(emphasis="BOLD", fill_color=LIGHT, size_pt=7),
            borders_layout="HORIZONTAL_LINES",
            line_height=5,
            width=self.width,
        ) as table:
            heading = table.row()
            for cell in head:
                heading.cell(clean(cell))
            for values in rows:
                row = table.row()
                for cell in values:
                    row.cell(clean(cell))
        self.pdf.set_font(FONT, size=10)
        self.pdf.ln(2)

    # -- charts (vector, black and greys) -------------------------------------------------
    def bars_over_time(
        self, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], int]]
    ) -> None:
        """Stacked columns per bucket; each series a grey with its name in the legend."""
        if not labels:
            return
        self.ensure(CHART_H + 22)
        pdf = self.pdf
        pdf.set_font(FONT, "B", 9)
        pdf.cell(0, 5, clean(title), new_x="LMARGIN", new_y="NEXT")
        x0, y0 = pdf.l_margin + 10, pdf.get_y() + 2
        w, h = self.width - 10, CHART_H
        totals = [sum(s[1][i] for s in series) for i in range(len(labels))]
        top = max(totals) or 1
        pdf.set_draw_color(INK)
        pdf.set_line_width(0.2)
        pdf.line(x0, y0 + h, x0 + w, y0 + h)
        pdf.set_font(FONT, size=6)
        pdf.text(pdf.l_margin, y0 + 2, self.n(top))
        pdf.text(pdf.l_margin, y0 + h, "0")
        step = w / len(labels)
        bar = max(step * 0.7, 0.3)
        every = max(1, len(labels) // 12)
        for i, label in enumerate(labels):
            x = x0 + i * step + (step - bar) / 2
            y = y0 + h
            for _name, values, grey in series:
                height = h * values[i] / top
                if height > 0:
                    pdf.set_fill_color(grey)
                    pdf.rect(x, y - height, bar, height, style="DF")
                    y -= height
            if i % every == 0:
                pdf.text(x, y0 + h + 3.5, clean(label))
        legend_y = y0 + h + 6
        x = x0
        for name, values, grey in series:
            pdf.set_fill_color(grey)
            pdf.rect(x, legend_y, 3, 3, style="DF")
            pdf.set_font(FONT, size=7)
            text = clean(f"{name}: {self.n(sum(values))}")
            pdf.text(x + 4, legend_y + 2.6, text)
            x += 8 + pdf.get_string_width(text)
        pdf.set_y(legend_y + 6)
        pdf.set_font(FONT, size=10)

    def hbars(
        self,
        title: str,
        items: Sequence[tuple[str, float, float | None, str]],
        shades: Sequence[int] = (),
    ) -> None:
        """Horizontal bars: (label, value 0..1, marker 0..1 or None, value text).

        The dark fill is what was achieved; the outline is the whole; a vertical tick is
        where it should be by now (pace), so "behind" reads without colour.
        """
        if not items:
            return
        pdf = self.pdf
        self.ensure(10 + 7 * min(len(items), 6))
        pdf.set_font(FONT, "B", 9)
        pdf.cell(0, 5, clean(title), new_x="LMARGIN", new_y="NEXT")
        label_w, text_w = 52, 48
        bar_w = self.width - label_w - text_w
        for index, (label, value, marker, text) in enumerate(items):
            self.ensure(7)
            y = pdf.get_y() + 1
            pdf.set_font(FONT, size=8)
            pdf.set_xy(pdf.l_margin, y - 0.5)
            pdf.cell(label_w - 2, 5, clean(truncate(label, 34)))
            x = pdf.l_margin + label_w
            pdf.set_draw_color(INK)
            pdf.set_fill_color(PAPER)
            pdf.rect(x, y, bar_w, 4, style="DF")
            filled = bar_w * min(max(value, 0.0), 1.0)
            if filled > 0:
                pdf.set_fill_color(shades[index % len(shades)] if shades else DARK)
                pdf.rect(x, y, filled, 4, style="F")
            if marker is not None:
                mx = x + bar_w * min(max(marker, 0.0), 1.0)
                pdf.set_line_width(0.6)
                pdf.line(mx, y - 1, mx, y + 5)
                pdf.set_line_width(0.2)
            pdf.set_xy(x + bar_w + 2, y - 0.5)
            pdf.cell(text_w - 2, 5, clean(text))
            pdf.set_y(y + 6)
        pdf.set_font(FONT, size=10)


def ratio_of(a: float, b: float) -> float | None:
    return a / b if b else None


@cache
def zone_of(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def babel_locale(lang: str) -> str:
    return "en_001" if lang == "en" else lang
