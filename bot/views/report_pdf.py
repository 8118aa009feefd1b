"""Lays the campaign report out as a PDF (fpdf2), in the reader's language; no database here.

The figures come from `bot.services.progress.report_pdf.gather` as frozen data; the
drawing primitives are `bot.views.progress_pdf`, the first sections
`bot.views.progress_pdf_sections`; here are the last sections, the document's order and
`build_pdf` (the layout is CPU work: a worker thread keeps the bot answering).  The chat
texts around it are `bot.views.progress_compare`: this module (fpdf2, matplotlib's font)
is imported when the first PDF is built, not when the bot starts.
"""

from __future__ import annotations

import asyncio

from bot.services.progress.goals import canonical_metric
from bot.services.progress.report_pdf import PdfReport, compare_rows
from bot.views.progress_compare import compare_values
from bot.views.progress_pdf import COMMENT_CHARS, DARK, FONT, MID, clean
from bot.views.progress_pdf_sections import ReportSections
from bot.views.render import Reader, truncate


class Layout(ReportSections):
    """The report's pages, one method per section, writing in the reader's language."""

    def outcomes(self) -> None:
        d = self.r.main.data
        self.heading(self.t("outcomes_title"))
        if not d.outcomes:
            self.para(self.t("outcomes_none"))
            return
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


def render(report: PdfReport, reader: Reader) -> bytes:
    """The PDF's bytes (runs in a worker thread: pure CPU, no database, no event loop)."""
    return Layout(report, reader).build()


async def build_pdf(report: PdfReport, reader: Reader) -> bytes:
    """Lays the report out in a worker thread (CPU work: fonts, tables, charts)."""
    return await asyncio.to_thread(render, report, reader)
