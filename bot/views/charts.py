"""The /report charts: a few PNGs a coordinator understands at a glance on a phone.

Design rules: portrait figures (a phone is taller than wide), big type, one idea
per panel with the key number in its title, at most two colours of meaning per
panel, every label in the reader's language, and no empty panel: a panel without
data is left out, a figure without panels is not sent.  Built with matplotlib's
object API (Figure + Agg canvas, never pyplot's global state) so several reports
can render in worker threads at once: the house style is applied to each figure's own
objects (`_style_axes`), never through `rcParams`/`rc_context`, which are process-global
and not thread-safe.  matplotlib is imported on the first chart (it costs ~50 MiB and
start-up time the bot does not need until someone asks for /report).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.services.progress.report import ReportData
from bot.views.formatting import format_date
from bot.views.progress import goal_label
from bot.views.render import Reader, to_plain, truncate

if TYPE_CHECKING:
    from matplotlib.axes import Axes

BLUE, GREEN, RED, AMBER, GREY, INK = (
    "#2563eb",
    "#16a34a",
    "#dc2626",
    "#f59e0b",
    "#cbd5e1",
    "#1e293b",
)
WIDTH_IN, PANEL_IN, DPI = 8.0, 3.6, 120
MAX_TICKS = 7
# The house style, applied to each figure's own artists (see `_style_axes`).
FONT_SIZE, TITLE_SIZE, LABEL_SIZE, XTICK_SIZE, YTICK_SIZE, LEGEND_SIZE = 15, 18, 15, 13, 14, 13
EDGE, GRID = "#94a3b8", "#e2e8f0"

Panel = Callable[["Axes"], None]


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    caption: str


def _height(panel: Panel) -> float:
    return float(getattr(panel, "height", PANEL_IN))


def _figure(title: str, panels: Sequence[Panel]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    heights = [_height(p) for p in panels]
    fig = Figure(figsize=(WIDTH_IN, 1.0 + sum(heights)), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.suptitle(to_plain(title), fontsize=22, fontweight="bold", color=INK, x=0.03, ha="left")
    axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[
        :, 0
    ]
    for ax, draw in zip(axes, panels, strict=True):
        _style_axes(ax)
        draw(ax)
        _style_drawn(ax)
    fig.tight_layout(rect=(0, 0, 1, 0.97), h_pad=2.2)
    out = io.BytesIO()
    fig.savefig(out, format="png", facecolor="white")
    return out.getvalue()


def _style_axes(ax: Axes) -> None:
    """Before a panel draws: spines, grid and tick sizes (a panel may still turn off the grid)."""
    ax.spines[["top", "right"]].set_visible(False)
    for spine in ax.spines.values():
        spine.set_edgecolor(EDGE)
    ax.grid(True, axis="y", color=GRID)
    ax.tick_params(axis="x", labelsize=XTICK_SIZE)
    ax.tick_params(axis="y", labelsize=YTICK_SIZE)


def _style_drawn(ax: Axes) -> None:
    """After a panel drew: its title left and bold, labels, texts and legend in house sizes.

    Titles and legend entries come from the HTML catalog; a chart shows plain text.
    """
    title = ax.get_title()
    if title:
        ax.set_title("")
        ax.set_title(to_plain(title), loc="left", fontsize=TITLE_SIZE, fontweight="bold")
    ax.xaxis.label.set_fontsize(LABEL_SIZE)
    ax.yaxis.label.set_fontsize(LABEL_SIZE)
    ax.tick_params(axis="x", labelsize=XTICK_SIZE)
    ax.tick_params(axis="y", labelsize=YTICK_SIZE)
    for text in ax.texts:
        if text.get_fontsize() == _DEFAULT_TEXT_SIZE:  # no size of its own: the house size
            text.set_fontsize(FONT_SIZE)
    legend = ax.get_legend()
    if legend is not None:
        legend.set_frame_on(False)
        for entry in legend.get_texts():
            entry.set_text(to_plain(entry.get_text()))
            entry.set_fontsize(LEGEND_SIZE)


_DEFAULT_TEXT_SIZE = 10.0  # matplotlib's own default font size, never changed here


def _short(panel: Panel, height: float) -> Panel:
    """Marks a panel that needs less height than a time series (one bar, a few rows)."""
    panel.height = height  # type: ignore[attr-defined]
    return panel


def _legend_below(ax: Axes) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2)


def _bucket_labels(reader: Reader, data: ReportData) -> list[str]:
    labels = [
        format_date(a, reader.lang, reader.tz, with_year=False, with_weekday=False)
        for a in data.edges[:-1]
    ]
    return labels


def _thin_ticks(ax: Axes, labels: Sequence[str]) -> None:
    step = max(1, -(-len(labels) // MAX_TICKS))
    ticks = list(range(0, len(labels), step))
    ax.set_xticks(ticks, [labels[i] for i in ticks])


def _int_axis(ax: Axes, reader: Reader, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target.set_major_locator(MaxNLocator(integer=True, nbins=5))
    target.set_major_formatter(FuncFormatter(lambda v, _: reader.number(int(v))))


def _bar_values(ax: Axes, bars: object, texts: Sequence[str], *, horizontal: bool) -> None:
    for bar, text in zip(bars, texts, strict=False):  # type: ignore[call-overload]
        if horizontal:
            ax.annotate(
                text,
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=14,
                color=INK,
            )
        else:
            ax.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                fontsize=12,
                color=INK,
            )


# ---- image 1: people ------------------------------------------------------------------------
def people_chart(reader: Reader, data: ReportData) -> Chart | None:
    if not data.total_volunteers:
        return None
    labels = _bucket_labels(reader, data)
    x = list(range(len(labels)))
    active_rate = data.active / data.total_volunteers

    def total(ax: Axes) -> None:
        ax.plot(x, data.cumulative, color=BLUE, linewidth=4, marker="o" if len(x) < 16 else None)
        ax.fill_between(x, data.cumulative, color=BLUE, alpha=0.12)
        ax.set_title(reader.t("progress.chart_total", n=reader.number(data.total_volunteers)))
        ax.set_ylim(bottom=0)
        _int_axis(ax, reader)
        _thin_ticks(ax, labels)

    def new(ax: Axes) -> None:
        ax.bar(x, data.new, color=GREEN, width=0.75)
        ax.set_title(reader.t(f"progress.chart_new_{data.bucket}", n=reader.number(sum(data.new))))
        _int_axis(ax, reader)
        _thin_ticks(ax, labels)

    def active(ax: Axes) -> None:
        ax.barh(
            [0],
            [data.total_volunteers],
            color=GREY,
            height=0.6,
            label=reader.t("progress.chart_registered"),
        )
        bars = ax.barh(
            [0], [data.active], color=BLUE, height=0.6, label=reader.t("progress.chart_active")
        )
        _bar_values(ax, bars, [reader.percent(active_rate)], horizontal=True)
        ax.set_yticks([])
        ax.set_title(reader.t("progress.chart_active_rate", percent=reader.percent(active_rate)))
        ax.set_xlim(0, data.total_volunteers * 1.15)
        _int_axis(ax, reader, "x")
        ax.grid(False)
        _legend_below(ax)

    panels: list[Panel] = [total, new]
    if len(x) < 2:
        panels = [new]
    panels.append(_short(active, 2.0))
    png = _figure(reader.t("progress.chart_people_title"), panels)
    return Chart(
        png,
        reader.t(
            "progress.caption_people",
            total=reader.number(data.total_volunteers),
            percent=reader.percent(active_rate),
        ),
    )


# ---- image 2: shifts, events, tasks ---------------------------------------------------------
def activity_chart(reader: Reader, data: ReportData) -> Chart | None:
    labels = _bucket_labels(reader, data)
    x = list(range(len(labels)))
    panels: list[Panel] = []

    if data.total_hours > 0:

        def hours(ax: Axes) -> None:
            ax.bar(x, data.hours, color=BLUE, width=0.75)
            ax.set_title(
                reader.t(
                    "progress.chart_hours",
                    n=reader.number(round(data.total_hours)),
                    shifts=reader.number(data.shifts_done),
                )
            )
            _int_axis(ax, reader)
            _thin_ticks(ax, labels)

        panels.append(hours)

    base = data.attendance_base
    if base:
        came = sum(data.checked_in)

        def attendance(ax: Axes) -> None:
            ax.bar(
                x,
                data.checked_in,
                color=GREEN,
                width=0.75,
                label=reader.t("progress.chart_checked_in"),
            )
            ax.bar(
                x,
                data.no_show,
                bottom=data.checked_in,
                color=RED,
                width=0.75,
                label=reader.t("progress.chart_no_show"),
            )
            ax.set_title(
                reader.t(
                    "progress.chart_attendance",
                    came=reader.percent(came / base),
                    missed=reader.percent(1 - came / base),
                )
            )
            _int_axis(ax, reader)
            _thin_ticks(ax, labels)
            tallest = max(a + b for a, b in zip(data.checked_in, data.no_show, strict=True))
            ax.set_ylim(0, tallest * 1.3)
            ax.legend(loc="upper left", ncols=2)

        panels.append(attendance)

    finished = data.tasks_on_time + data.tasks_late + data.tasks_overdue
    if finished:

        def tasks(ax: Axes) -> None:
            names = [
                reader.t("progress.chart_on_time"),
                reader.t("progress.chart_late"),
                reader.t("progress.chart_overdue"),
            ]
            values = [data.tasks_on_time, data.tasks_late, data.tasks_overdue]
            bars = ax.barh(names[::-1], values[::-1], color=[RED, AMBER, GREEN], height=0.6)
            _bar_values(ax, bars, [reader.number(v) for v in values[::-1]], horizontal=True)
            ax.set_xlim(0, max(values) * 1.2)
            _int_axis(ax, reader, "x")
            ax.grid(False)
            ax.set_title(
                reader.t(
                    "progress.chart_tasks", percent=reader.percent(data.tasks_on_time / finished)
                )
            )

        panels.append(_short(tasks, 2.8))

    if not panels:
        return None
    png = _figure(reader.t("progress.chart_activity_title"), panels)
    return Chart(
        png, reader.t("progress.caption_activity", hours=reader.number(round(data.total_hours)))
    )


# ---- image 3: results (goals, outcomes, money) ----------------------------------------------
def results_chart(reader: Reader, data: ReportData) -> Chart | None:
    panels: list[Panel] = []
    if data.goals:
        goals = list(data.goals)[:6]

        def goal_panel(ax: Axes) -> None:
            names = [truncate(goal_label(reader, g), 18) for g in goals][::-1]
            ratios = [min(g.current / g.target, 1.5) * 100 for g in goals][::-1]
            colors = [GREEN if g.done else (RED if g.behind_pace else BLUE) for g in goals][::-1]
            ax.barh(names, [100] * len(goals), color=GREY, height=0.6)
            bars = ax.barh(names, ratios, color=colors, height=0.6)
            texts = [f"{reader.number(int(g.current))} / {reader.number(g.target)}" for g in goals][
                ::-1
            ]
            _bar_values(ax, bars, texts, horizontal=True)
            ax.set_xlim(0, 160)
            ax.set_xticks([0, 50, 100], ["0%", "50%", "100%"])
            ax.grid(False)
            ax.set_title(reader.t("progress.chart_goals"))

        panels.append(goal_panel)
    elif data.outcomes:

        def outcome_panel(ax: Axes) -> None:
            units = [truncate(u, 16) for u, _ in data.outcomes][::-1]
            values = [v for _, v in data.outcomes][::-1]
            bars = ax.barh(units, values, color=BLUE, height=0.6)
            _bar_values(ax, bars, [reader.number(v) for v in values], horizontal=True)
            ax.set_xlim(0, max(values) * 1.25)
            _int_axis(ax, reader, "x")
            ax.grid(False)
            ax.set_title(reader.t("progress.chart_outcomes"))

        panels.append(outcome_panel)

    if data.budget and data.currency:
        lines = sorted(data.budget, key=lambda b: -b.planned)[:6]
        currency = data.currency
        spent, planned = sum(b.spent for b in data.budget), sum(b.planned for b in data.budget)

        def budget_panel(ax: Axes) -> None:
            from matplotlib.ticker import FuncFormatter, MaxNLocator

            names = [truncate(b.category, 16) for b in lines][::-1]
            ax.barh(
                names,
                [b.planned for b in lines][::-1],
                color=GREY,
                height=0.6,
                label=reader.t("progress.chart_planned"),
            )
            bars = ax.barh(
                names,
                [b.spent for b in lines][::-1],
                color=[RED if b.spent > b.planned else BLUE for b in lines][::-1],
                height=0.6,
                label=reader.t("progress.chart_spent"),
            )
            texts = [reader.percent(b.spent / b.planned if b.planned else 0) for b in lines][::-1]
            _bar_values(ax, bars, texts, horizontal=True)
            ax.set_xlim(0, max(max(b.planned, b.spent) for b in lines) * 1.25)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: reader.money(int(v), currency)))
            ax.grid(False)
            _legend_below(ax)
            ax.set_title(
                reader.t(
                    "progress.chart_budget",
                    spent=reader.money(spent, currency),
                    planned=reader.money(planned, currency),
                )
            )

        panels.append(budget_panel)

    if not panels:
        return None
    return Chart(
        _figure(reader.t("progress.chart_results_title"), panels),
        reader.t("progress.caption_results"),
    )


# ---- image 4: teams side by side ------------------------------------------------------------
def teams_chart(reader: Reader, data: ReportData) -> Chart | None:
    teams = [t for t in data.teams if t.members or t.hours or t.tasks_done]
    if len(teams) < 2:
        return None  # one team is no comparison
    names = [truncate(t.name, 16) for t in teams][::-1]

    def members(ax: Axes) -> None:
        ax.barh(
            names,
            [t.members for t in teams][::-1],
            color=GREY,
            height=0.6,
            label=reader.t("progress.chart_members"),
        )
        bars = ax.barh(
            names,
            [t.active for t in teams][::-1],
            color=BLUE,
            height=0.6,
            label=reader.t("progress.chart_active"),
        )
        texts = [reader.percent(t.active / t.members if t.members else 0) for t in teams][::-1]
        _bar_values(ax, bars, texts, horizontal=True)
        ax.set_xlim(0, max(t.members for t in teams) * 1.25 or 1)
        _int_axis(ax, reader, "x")
        ax.grid(False)
        _legend_below(ax)
        ax.set_title(reader.t("progress.chart_team_members"))

    def work(ax: Axes) -> None:
        values = [round(t.hours) for t in teams][::-1]
        bars = ax.barh(names, values, color=GREEN, height=0.6)
        _bar_values(
            ax,
            bars,
            [
                reader.t(
                    "progress.chart_team_work",
                    hours=reader.number(round(t.hours)),
                    tasks=reader.number(t.tasks_done),
                )
                for t in teams
            ][::-1],
            horizontal=True,
        )
        ax.set_xlim(0, (max(values) or 1) * 1.6)
        _int_axis(ax, reader, "x")
        ax.grid(False)
        ax.set_title(reader.t("progress.chart_team_hours"))

    return Chart(
        _figure(reader.t("progress.chart_teams_title"), [members, work]),
        reader.t("progress.caption_teams"),
    )


def report_charts(reader: Reader, data: ReportData) -> list[Chart]:
    """Every chart that has something to show, in reading order (CPU-heavy: call in a thread)."""
    charts = [
        people_chart(reader, data),
        activity_chart(reader, data),
        results_chart(reader, data),
        teams_chart(reader, data),
    ]
    return [c for c in charts if c is not None]
