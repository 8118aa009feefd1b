// Gotong Mini App, the dashboard: loaded before app.js (the shared helpers and start()).
// ---- charts: inline SVG made with DOM calls (texts via textContent) -----------------------
const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Rows of horizontal bars: each row a label line and a bar of coloured segments on a track;
// `marker` (0..1) draws a tick, the goal's pace.
function barChart(name, rows) {
  const W = 320, ROW = 34;
  const chart = svg("svg", { class: "chart " + name, viewBox: `0 0 ${W} ${rows.length * ROW + 4}`, role: "img" });
  rows.forEach((row, i) => {
    const y = i * ROW;
    chart.append(svg("text", { x: 0, y: y + 12, class: "label" }, row.label));
    if (row.value) chart.append(svg("text", { x: W, y: y + 12, "text-anchor": "end", class: "value" }, row.value));
    chart.append(svg("rect", { x: 0, y: y + 17, width: W, height: 10, rx: 3, fill: "#d7dbe1" }));
    let x = 0;
    for (const [ratio, colour, cls] of row.segments) {
      const w = Math.max(0, Math.min(ratio, 1 - x / W) * W);
      if (w > 0) chart.append(svg("rect", { x, y: y + 17, width: w.toFixed(1), height: 10, rx: 3, fill: colour, class: cls }));
      x += w;
    }
    if (row.marker !== undefined && row.marker !== null) {
      const mx = (Math.min(Math.max(row.marker, 0), 1) * W).toFixed(1);
      chart.append(svg("rect", { x: mx - 1, y: y + 14, width: 3, height: 16, fill: "var(--text)", class: "pace" }));
    }
  });
  return chart;
}

function legend(items) {
  return el("div", { class: "legend" }, ...items.map(([colour, label]) => {
    const box = el("span", {}, el("i"), label);
    box.firstChild.style.background = colour;
    return box;
  }));
}

const C = { spent: "var(--button)", over: "var(--low)", came: "var(--full)", noshow: "var(--low)", confirmed: "var(--button)", pending: "var(--ok)" };

function budgetTile(b) {
  const box = el("div", { class: "tile wide", id: "dash-budget" }, el("h4", { text: t("dash_budget") }));
  if (!b.lines.length) { box.append(el("p", { class: "muted", text: t("dash_budget_none") })); return box; }
  const row = (label, x) => ({ label, value: t("dash_budget_of", { spent: x.spent_label, planned: x.planned_label, percent: x.percent }),
    segments: [[x.planned ? x.spent / x.planned : (x.spent ? 1 : 0), x.over ? C.over : C.spent, "spent"]] });
  box.append(barChart("budget", [row(t("dash_budget_total"), b), ...b.lines.map((l) => row(l.category, l))]),
    legend([[C.spent, t("dash_spent")], ["#d7dbe1", t("dash_planned")], [C.over, t("dash_over")]]));
  if (b.pending) box.append(el("p", { class: "muted", text: t("dash_pending", { amount: b.pending_label }) }));
  return box;
}

function goalsTile(goals) {
  const box = el("div", { class: "tile wide", id: "dash-goals" }, el("h4", { text: t("dash_goals") }));
  if (!goals.length) { box.append(el("p", { class: "muted", text: t("dash_none") })); return box; }
  box.append(barChart("goals", goals.map((g) => ({
    label: g.metric + (g.team ? " · " + g.team : "") + " — " + (g.done ? t("dash_goal_done") : g.expected === null ? t("dash_no_deadline") : g.behind ? t("dash_pace_behind") : t("dash_pace_ok")),
    value: t("dash_goal_value", { current: g.current_label, target: g.target_label, percent: g.percent }),
    segments: [[g.ratio, g.behind ? C.over : C.came, "current"]],
    marker: g.expected === null || !g.target ? null : g.expected / g.target,
  }))));
  for (const g of goals) if (g.expected !== null && !g.done) box.append(el("div", { class: "muted", text: `${g.metric}: ${t("dash_pace_expected", { expected: g.expected_label })} · ${t("dash_deadline", { date: g.deadline })}` }));
  return box;
}

function attendanceTile(rows) {
  const box = el("div", { class: "tile wide", id: "dash-attendance" }, el("h4", { text: t("dash_attendance") }));
  if (!rows.length) { box.append(el("p", { class: "muted", text: t("dash_none") })); return box; }
  box.append(barChart("attendance", rows.map((a) => {
    const of = (n) => (a.going ? n / a.going : 0);
    return a.ended
      ? { label: `${a.title} · ${a.when}`, value: t("dash_att_past", { came: a.checked_in, no_show: a.no_show, going: a.going }),
        segments: [[of(a.checked_in), C.came, "came"], [of(a.no_show), C.noshow, "noshow"]] }
      : { label: `${a.title} · ${a.when}`, value: t("dash_att_future", { confirmed: a.confirmed, going: a.going }),
        segments: [[of(a.confirmed), C.confirmed, "confirmed"]] };
  })), legend([[C.came, t("dash_att_came")], [C.noshow, t("dash_att_no_show")], [C.confirmed, t("dash_att_confirmed")], ["#d7dbe1", t("dash_att_unconfirmed")]]));
  return box;
}

// ---- dashboard ---------------------------------------------------------------------------
function bar(value, total) {
  const ratio = total > 0 ? Math.min(value / total, 1) : 0;
  const track = el("div", { class: "meter" });
  const fill = el("div", { class: "meter-fill" });
  fill.style.width = (ratio * 100).toFixed(1) + "%";
  track.append(fill);
  return track;
}

function tile(title, rows) {
  const box = el("div", { class: "tile" }, el("h4", { text: title }));
  for (const [label, value, chart] of rows) {
    box.append(el("div", { class: "kv" }, el("span", { text: label }), el("strong", { text: String(value) })));
    if (chart) box.append(chart);
  }
  return box;
}

async function loadDashboard() {
  const team = $("dash-team").value;
  const d = await api("GET", "/dashboard" + (team ? "?team=" + team : ""));
  if (d.teams.length) fillTeams($("dash-team"), d.teams, t("all_teams"), team);
  $("dash-team").hidden = !d.teams.length && !team;
  const box = $("dash");
  box.replaceChildren(
    tile(t("dash_volunteers"), [[t("dash_total"), d.volunteers.total], [t("dash_new"), d.volunteers.new],
      [t("dash_active"), d.volunteers.active, bar(d.volunteers.active, d.volunteers.total)],
      [t("dash_unreachable"), d.volunteers.unreachable]]),
    tile(t("dash_shifts"), [[t("dash_places_filled"), `${d.shifts.filled}/${d.shifts.places}`, bar(d.shifts.filled, d.shifts.places)],
      [t("dash_urgent"), d.shifts.urgent_shifts]]),
    tile(t("dash_tasks"), [[t("dash_open"), d.tasks.open], [t("dash_claimed"), d.tasks.claimed],
      [t("dash_done"), d.tasks.done], [t("dash_overdue"), d.tasks.overdue]]),
    tile(t("dash_events"), [[t("dash_going"), d.events.going], [t("dash_confirmed"), d.events.confirmed, bar(d.events.confirmed, d.events.going)],
      [t("dash_checked_in"), d.events.checked_in], [t("dash_no_show_rate"), d.events.no_show_rate === null ? "–" : d.events.no_show_rate]]),
  );
  const goals = goalsTile(d.goals);
  const casts = el("div", { class: "tile wide" }, el("h4", { text: t("dash_broadcasts") }));
  if (!d.broadcasts.length) casts.append(el("p", { class: "muted", text: t("dash_none") }));
  for (const b of d.broadcasts) {
    casts.append(el("div", { class: "kv" }, el("span", { text: `${b.when} · ${b.excerpt}` }), el("strong", { text: b.status_label })),
      el("div", { class: "muted", text: t("bc_progress", b) }), bar(b.sent, b.total));
  }
  const upcoming = el("div", { class: "tile wide" }, el("h4", { text: t("dash_upcoming") }));
  for (const e of d.upcoming) upcoming.append(el("div", { class: "kv" }, el("span", { text: e.title }), el("span", { text: e.when })));
  if (!d.upcoming.length) upcoming.append(el("p", { class: "muted", text: t("dash_none") }));
  box.append(goals, attendanceTile(d.attendance));
  if (d.budget) box.append(budgetTile(d.budget));
  box.append(casts, upcoming);
}


// Wires this page's controls (texts from the catalogs, handlers); start() calls it.
function setupDashboard() {
  $("dash-team").onchange = () => loadDashboard().catch(showError);
}
