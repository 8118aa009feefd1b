// Gotong Mini App, the dashboard: loaded before app.js (the shared helpers and start()).
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
  const goals = el("div", { class: "tile wide" }, el("h4", { text: t("dash_goals") }));
  if (!d.goals.length) goals.append(el("p", { class: "muted", text: t("dash_none") }));
  for (const g of d.goals) {
    goals.append(el("div", { class: "kv" }, el("span", { text: g.metric + (g.team ? " · " + g.team : "") }), el("strong", { text: `${Math.round(g.current)}/${g.target} (${g.percent})` })), bar(g.current, g.target));
  }
  const casts = el("div", { class: "tile wide" }, el("h4", { text: t("dash_broadcasts") }));
  if (!d.broadcasts.length) casts.append(el("p", { class: "muted", text: t("dash_none") }));
  for (const b of d.broadcasts) {
    casts.append(el("div", { class: "kv" }, el("span", { text: `${b.when} · ${b.excerpt}` }), el("strong", { text: b.status_label })),
      el("div", { class: "muted", text: t("bc_progress", b) }), bar(b.sent, b.total));
  }
  const upcoming = el("div", { class: "tile wide" }, el("h4", { text: t("dash_upcoming") }));
  for (const e of d.upcoming) upcoming.append(el("div", { class: "kv" }, el("span", { text: e.title }), el("span", { text: e.when })));
  if (!d.upcoming.length) upcoming.append(el("p", { class: "muted", text: t("dash_none") }));
  box.append(goals, casts, upcoming);
}


// Wires this page's controls (texts from the catalogs, handlers); start() calls it.
function setupDashboard() {
  $("dash-team").onchange = () => loadDashboard().catch(showError);
}
