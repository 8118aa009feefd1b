"""Lays out the campaign report as a PDF (fpdf2), in the reader's language; no database here.

Why fpdf2: pure Python (no system libraries, unlike WeasyPrint's Pango/Cairo), small,
actively maintained, embeds and subsets TrueType fonts, and its tables break across
pages with the heading repeated.  The font is DejaVu Sans as shipped inside
matplotlib (already a dependency): every Latin letter Indonesian needs, "Rp", and
most scripts a comment may carry; glyphs it lacks (colour emoji) are dropped rather
than drawn as boxes.  Charts are vector shapes in black, greys and outlines, with
values printed beside them, so they read on a black-and-white printout.
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

from bot.services.progress.feedback import Scores
from bot.services.progress.report_pdf import (
    Attendance,
    CompareRow,
    PdfReport,
    PeriodFigures,
    TeamFigures,
    compare_rows,
)
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


class Layout:
    """The report's pages, one method per section, writing in the reader's language."""

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

    # -- sections --------------------------------------------------------------------------
    def cover(self) -> None:
        pdf, r = self.pdf, self.r
        pdf.add_page()
        pdf.set_y(70)
        pdf.set_font(FONT, "B", 26)
        pdf.multi_cell(0, 12, clean(r.campaign), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font(FONT, size=16)
        pdf.cell(0, 9, clean(self.t("title")), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font(FONT, "B", 13)
        pdf.cell(0, 8, clean(self.period(r.start, r.end)), align="C", new_x="LMARGIN", new_y="NEXT")
        if r.compare_teams:
            a, b = r.compare_teams
            pdf.set_font(FONT, size=12)
            pdf.cell(
                0,
                8,
                clean(self.t("cover_compare", a=a.name, b=b.name)),
                align="C",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        elif r.compare_periods:
            other = r.compare_periods[1].data
            pdf.set_font(FONT, size=12)
            pdf.cell(
                0,
                8,
                clean(self.t("cover_compare_period", other=self.period(other.start, other.end))),
                align="C",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        pdf.ln(10)
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(MID)
        pdf.cell(
            0,
            6,
            clean(self.t("generated", when=self.reader.when(r.now))),
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(INK)

    def empty(self) -> None:
        self.pdf.ln(16)
        self.pdf.set_font(FONT, "B", 12)
        self.pdf.multi_cell(
            0, 7, clean(self.t("empty_title")), align="C", new_x="LMARGIN", new_y="NEXT"
        )
        self.pdf.ln(2)
        self.para(self.t("empty_body"))

    def kpis(self) -> None:
        m = self.r.main
        d = m.data
        self.pdf.add_page()
        self.heading(self.t("kpi_title"))
        boxes = [
            (
                self.t("kpi_volunteers"),
                self.n(d.total_volunteers),
                self.t("kpi_recruited", n=self.n(m.recruited)),
            ),
            (
                self.t("kpi_active"),
                self.n(d.active),
                self.pct(_ratio(d.active, d.total_volunteers)),
            ),
            (
                self.t("kpi_hours"),
                self.n(round(d.total_hours, 1)),
                self.t("kpi_shifts_done", n=self.n(d.shifts_done)),
            ),
            (
                self.t("kpi_reliability"),
                self.pct(m.reliability.rate),
                self.t(
                    "kpi_came",
                    came=self.n(m.reliability.came),
                    total=self.n(m.reliability.came + m.reliability.missed),
                ),
            ),
            (
                self.t("kpi_fill"),
                self.pct(m.fill_rate),
                self.t("kpi_places", filled=self.n(m.filled), places=self.n(m.places)),
            ),
            (
                self.t("kpi_feedback"),
                self.avg(m.scores),
                self.t("kpi_ratings", n=self.n(m.scores.ratings)),
            ),
        ]
        pdf = self.pdf
        box_w, box_h = (self.width - 8) / 3, 22
        y = pdf.get_y()
        for i, (label, value, note) in enumerate(boxes):
            x = pdf.l_margin + (i % 3) * (box_w + 4)
            by = y + (i // 3) * (box_h + 4)
            pdf.set_draw_color(INK)
            pdf.rect(x, by, box_w, box_h)
            pdf.set_xy(x + 2, by + 1.5)
            pdf.set_font(FONT, size=8)
            pdf.cell(box_w - 4, 4, clean(label))
            pdf.set_xy(x + 2, by + 6)
            pdf.set_font(FONT, "B", 15)
            pdf.cell(box_w - 4, 8, clean(value))
            pdf.set_xy(x + 2, by + 15)
            pdf.set_font(FONT, size=7.5)
            pdf.cell(box_w - 4, 4, clean(note))
        pdf.set_y(y + 2 * (box_h + 4) + 2)
        pdf.set_font(FONT, size=10)
        self.goals()

    def goals(self) -> None:
        goals = self.r.main.data.goals
        self.sub(self.t("goals_title"))
        if not goals:
            self.para(self.t("goals_none"))
            return
        rows, bars = [], []
        for g in goals:
            name = self._metric(g.metric) + (f" ({g.team_name})" if g.team_name else "")
            days_run = max((g.now - g.created_at).total_seconds() / 86400, 1.0)
            achieved = g.current / days_run
            needed = g.per_day_needed
            if g.done:
                status = self.t("goal_reached")
            elif g.deadline is None:
                status = self.t("goal_no_deadline")
            elif g.behind_pace:
                status = self.t("goal_behind")
            else:
                status = self.t("goal_on_track")
            rows.append(
                [
                    name,
                    self.n(int(g.current)),
                    self.n(g.target),
                    self.pct(g.ratio),
                    "–" if g.deadline is None else self.day(g.deadline - timedelta(minutes=1)),
                    "–" if needed is None else self.n(round(needed, 1)),
                    self.n(round(achieved, 1)),
                    status,
                ]
            )
            marker = None
            if g.deadline is not None:
                span = (g.deadline - g.created_at).total_seconds()
                if span > 0:
                    marker = min(max((g.now - g.created_at).total_seconds() / span, 0.0), 1.0)
            bars.append((name, g.ratio, marker, f"{self.pct(g.ratio)} · {status}"))
        self.table(
            [
                self.t("col_goal"),
                self.t("col_current"),
                self.t("col_target"),
                "%",
                self.t("col_deadline"),
                self.t("col_needed_day"),
                self.t("col_achieved_day"),
                self.t("col_status"),
            ],
            rows,
            (40, 18, 18, 12, 26, 18, 18, 28),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "LEFT"),
        )
        self.hbars(self.t("goals_chart"), bars)
        self.para(self.t("goals_chart_note"), size=8)

    def _metric(self, metric: str) -> str:
        key = f"progress.metric.{metric}"
        if self.reader.i18n.has(key):
            return self.reader.i18n.raw(self.reader.lang, key)
        return metric

    def _bucket_labels(self, figures: PeriodFigures) -> list[str]:
        from babel.dates import format_skeleton

        zone = self.reader.tz
        fmt = "d MMM" if figures.data.bucket != "month" else "MMM yy"
        out = []
        for edge in figures.data.edges[:-1]:
            local = edge.astimezone(_zone(zone))
            out.append(
                format_skeleton(
                    "MMMd" if fmt == "d MMM" else "yMMM", local, locale=_locale(self.reader.lang)
                )
            )
        return out

    def volunteers(self) -> None:
        m = self.r.main
        d = m.data
        self.heading(self.t("people_title"))
        self.para(
            self.t(
                "people_text",
                total=self.n(d.total_volunteers),
                recruited=self.n(m.recruited),
                active=self.n(d.active),
                active_pct=self.pct(_ratio(d.active, d.total_volunteers)),
                retained=self.n(m.retained),
                before=self.n(m.before),
                retained_pct=self.pct(m.retention),
                reliability=self.pct(m.reliability.rate),
                came=self.n(m.reliability.came),
                missed=self.n(m.reliability.missed),
            )
        )
        labels = self._bucket_labels(m)
        self.bars_over_time(
            self.t(f"chart_new_{d.bucket}"), labels, [(self.t("legend_new"), d.new, DARK)]
        )

    def attendance(self) -> None:
        m, r = self.r.main, self.r
        d = m.data
        self.heading(self.t("work_title"))
        self.para(
            self.t(
                "work_text",
                places=self.n(m.places),
                filled=self.n(m.filled),
                fill=self.pct(m.fill_rate),
                s_came=self.n(m.shifts.came),
                s_missed=self.n(m.shifts.missed),
                e_came=self.n(m.events.came),
                e_missed=self.n(m.events.missed),
                attendance=self.pct(m.reliability.rate),
                hours=self.n(round(d.total_hours, 1)),
                on_time=self.n(d.tasks_on_time),
                late=self.n(d.tasks_late),
                overdue=self.n(d.tasks_overdue),
            )
        )
        labels = self._bucket_labels(m)
        came = [a + b for a, b in zip(d.checked_in, m.shift_came, strict=True)]
        missed = [a + b for a, b in zip(d.no_show, m.shift_missed, strict=True)]
        self.bars_over_time(
            self.t("chart_attendance"),
            labels,
            [(self.t("legend_came"), came, DARK), (self.t("legend_missed"), missed, PAPER)],
        )
        if r.teams:
            self.sub(self.t("teams_title"))
            self.table(
                [
                    self.t("col_team"),
                    self.t("col_members"),
                    self.t("col_active"),
                    self.t("col_fill"),
                    self.t("col_came"),
                    self.t("col_missed"),
                    self.t("col_attendance"),
                    self.t("col_hours"),
                    self.t("col_rating"),
                ],
                [self._team_row(t) for t in r.teams],
                (42, 17, 15, 15, 16, 18, 18, 16, 17),
            )
        if r.events:
            self.sub(self.t("events_title"))
            self.table(
                [
                    self.t("col_event"),
                    self.t("col_date"),
                    self.t("col_going"),
                    self.t("col_came"),
                    self.t("col_missed"),
                    self.t("col_rating"),
                ],
                [
                    [
                        truncate(e.title, 60) + (f" ({e.team})" if e.team else ""),
                        self.day(e.starts_at),
                        self.n(e.going),
                        self.n(e.came),
                        self.n(e.missed),
                        self.avg(e.scores),
                    ]
                    for e in r.events
                ],
                (70, 34, 18, 18, 18, 16),
            )
            if r.more_events:
                self.para(self.t("events_more", n=self.n(r.more_events)), size=8)

    def _team_row(self, t: TeamFigures) -> list[str]:
        a = t.attendance
        return [
            t.name,
            self.n(t.members),
            self.n(t.active),
            self.pct(t.fill_rate),
            self.n(a.came),
            self.n(a.missed),
            self.pct(a.rate),
            self.n(round(t.hours, 1)),
            self.avg(t.scores),
        ]

    def outcomes(self) -> None:
        d = self.r.main.data
        self.heading(self.t("outcomes_title"))
        if not d.outcomes:
            self.para(self.t("outcomes_none"))
            return
        from bot.services.progress.goals import canonical_metric

        goal_of = {g.metric: g for g in d.goals}
        rows = []
        for unit, total in d.outcomes:
            metric = canonical_metric(unit) or unit
            goal = goal_of.get(metric)
            rows.append(
                [
                    unit,
                    self.n(total),
                    self._metric(metric) if goal else "–",
                    self.pct(goal.ratio) if goal else "–",
                ]
            )
        self.table(
            [self.t("col_unit"), self.t("col_total"), self.t("col_goal"), self.t("col_goal_done")],
            rows,
            (60, 35, 50, 33),
            ("LEFT", "RIGHT", "LEFT", "RIGHT"),
        )

    def feedback(self) -> None:
        m, r = self.r.main, self.r
        s = m.scores
        self.heading(self.t("feedback_title"))
        if not s.asked:
            self.para(self.t("feedback_none"))
            return
        self.para(
            self.t(
                "feedback_text",
                average=self.avg(s),
                ratings=self.n(s.ratings),
                asked=self.n(s.asked),
                rate=self.pct(s.response_rate),
                comments=self.n(s.comments),
            )
        )
        top = max(s.distribution) or 1
        self.hbars(
            self.t("feedback_chart"),
            [
                (f"{n} / 5", count / top, None, self.n(count))
                for n, count in zip(range(5, 0, -1), reversed(s.distribution), strict=True)
            ],
        )
        if r.comments:
            self.sub(self.t("comments_title"))
            for c in r.comments:
                self.ensure(14)
                head = f"{c.rating}/5 · " if c.rating else ""
                self.pdf.set_font(FONT, "B", 8.5)
                self.pdf.multi_cell(
                    0,
                    4.5,
                    clean(f"{head}{c.person} · {c.subject or ''}"),
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
                self.para("“" + truncate(" ".join(c.text.split()), COMMENT_CHARS) + "”", size=9)
                self.pdf.ln(1)

    def budget(self) -> None:
        b = self.r.budget
        self.heading(self.t("budget_title"))
        if b is None:
            self.para(self.t("budget_none"))
            return
        money = self.reader.money
        cur = b.currency
        self.para(
            self.t(
                "budget_text",
                planned=money(b.planned, cur),
                spent=money(b.spent, cur),
                received=money(b.received, cur),
                balance=money(b.balance, cur),
                pending=money(b.pending, cur),
                pending_n=self.n(b.pending_count),
                owed=money(b.owed, cur),
                owed_n=self.n(b.owed_count),
                date=self.day(self.r.now),
            )
        )
        if b.lines:
            self.table(
                [
                    self.t("col_line"),
                    self.t("col_planned"),
                    self.t("col_spent"),
                    self.t("col_left"),
                    "%",
                    self.t("col_pending"),
                ],
                [
                    [
                        ln.category,
                        money(ln.planned, cur),
                        money(ln.spent, cur),
                        money(ln.remaining, cur),
                        self.pct(ln.ratio),
                        money(ln.pending, cur),
                    ]
                    for ln in b.lines
                ],
                (44, 30, 30, 30, 14, 30),
            )
            self.hbars(
                self.t("budget_chart"),
                [
                    (
                        ln.category,
                        ln.ratio,
                        None,
                        f"{money(ln.spent, cur)} / {money(ln.planned, cur)}",
                    )
                    for ln in b.lines[:20]
                ],
            )

    def changes(self) -> None:
        r = self.r
        self.heading(self.t("changes_title"))
        if r.since is not None:
            self.para(self.t("changes_since", date=self.reader.when(r.since)))
        elif r.changes:
            self.para(self.t("changes_first"))
        else:
            self.para(self.t("changes_first_none"))
        if r.since is not None and not r.changes:
            self.para(self.t("changes_none"))
        for change in r.changes:
            p = dict(change.params)
            for k in ("now", "before"):
                if isinstance(p.get(k), float):
                    p[k] = (
                        self.n(round(p[k], 1)) if change.key == "rate_feedback" else self.pct(p[k])
                    )
                elif isinstance(p.get(k), int):
                    p[k] = self.n(p[k])
            for k in ("n", "came", "missed"):
                if isinstance(p.get(k), int | float):
                    p[k] = self.n(p[k])
            if "minor" in p:
                p["amount"] = self.reader.money(int(p.pop("minor")))
            self.para("• " + self.t(f"change_{change.key}", **p))

    def comparison(self) -> None:
        r = self.r
        if r.compare_teams:
            a, b = r.compare_teams
            names = (a.name, b.name)
            rows = compare_rows(a, b)
        elif r.compare_periods:
            pa, pb = r.compare_periods
            names = (
                self.period(pa.data.start, pa.data.end),
                self.period(pb.data.start, pb.data.end),
            )
            rows = compare_rows(pa, pb)
        else:
            return
        self.pdf.add_page()
        self.heading(self.t("compare_title"))
        self.para(self.t("compare_text", a=names[0], b=names[1]))
        shown = [(self.t(row.key), *compare_values(self.reader, row)) for row in rows]
        self.table(
            [self.t("col_measure"), names[0], names[1], self.t("col_diff")],
            shown,
            (60, 42, 42, 34),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        )
        self.sub(self.t("compare_chart"))
        for row, (label, va, vb, _diff) in zip(rows, shown, strict=True):
            x, y = row.a or 0.0, row.b or 0.0
            top = max(x, y) or 1.0
            self.hbars(
                "",
                [
                    (f"{label}: {names[0]}", x / top, None, va),
                    (f"{label}: {names[1]}", y / top, None, vb),
                ],
                shades=(DARK, MID),  # the two sides tell apart in black and white
            )

    def build(self) -> bytes:
        self.cover()
        if self.r.main.is_empty and not self.r.compare_teams:
            self.empty()
        else:
            self.kpis()
            self.comparison()
            if self.r.compare_teams or self.r.compare_periods:
                self.pdf.add_page()
            self.volunteers()
            self.attendance()
            self.outcomes()
            self.feedback()
            self.budget()
            self.changes()
        return bytes(self.pdf.output())


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


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


@cache
def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _locale(lang: str) -> str:
    return "en_001" if lang == "en" else lang


def render(report: PdfReport, reader: Reader) -> bytes:
    """The PDF's bytes (runs in a worker thread: pure CPU, no database, no event loop)."""
    return Layout(report, reader).build()


__all__ = ["Attendance", "render"]
