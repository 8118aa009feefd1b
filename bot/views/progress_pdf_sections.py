"""The report PDF's first sections: the cover, the key figures, goals, volunteers, attendance.

Each method writes one section with the primitives of `bot.views.progress_pdf.PdfPage`;
the rest of the sections and the whole document are `bot.views.report_pdf`.
"""

from __future__ import annotations

from datetime import timedelta

from bot.services.progress.report_figures import PeriodFigures, TeamFigures
from bot.views.progress_pdf import (
    DARK,
    FONT,
    INK,
    MID,
    PAPER,
    PdfPage,
    babel_locale,
    clean,
    ratio_of,
    zone_of,
)
from bot.views.render import truncate


class ReportSections(PdfPage):
    """The cover and the sections about people and attendance."""

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
                self.pct(ratio_of(d.active, d.total_volunteers)),
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
            local = edge.astimezone(zone_of(zone))
            out.append(
                format_skeleton(
                    "MMMd" if fmt == "d MMM" else "yMMM",
                    local,
                    locale=babel_locale(self.reader.lang),
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
                active_pct=self.pct(ratio_of(d.active, d.total_volunteers)),
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
