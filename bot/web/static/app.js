// Gotong Mini App: vanilla JS, no build step.  Every text comes from the server's catalogs
// (/api/me's strings, in the person's language); every piece of data is put in the page
// with textContent, never innerHTML.  The initData Telegram gives the app travels in the
// Authorization header of every API call; nothing is kept in cookies or storage.
"use strict";

const $ = (id) => document.getElementById(id);
const TG = window.Telegram && window.Telegram.WebApp;
const HASH = new URLSearchParams(location.hash.slice(1));
const INIT_DATA = (TG && TG.initData) || HASH.get("tgWebAppData") || "";
const REFRESH_MS = 5000;
let S = {};
let ME = null;
const state = { view: null, start: "", team: "", peopleOffset: 0, draftId: null, draftKey: "" };

function t(key, params) {
  let text = S[key] || key;
  for (const [k, v] of Object.entries(params || {})) text = text.split(`{${k}}`).join(String(v));
  return text;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function applyTheme() {
  let theme = (TG && TG.themeParams) || null;
  if (!theme && HASH.get("tgWebAppThemeParams")) {
    try { theme = JSON.parse(HASH.get("tgWebAppThemeParams")); } catch (e) { theme = null; }
  }
  const names = { bg_color: "--bg", text_color: "--text", hint_color: "--hint",
    link_color: "--link", button_color: "--button", button_text_color: "--button-text",
    secondary_bg_color: "--bg2" };
  for (const [k, v] of Object.entries(theme || {})) {
    if (names[k] && /^#[0-9a-fA-F]{3,8}$/.test(v)) document.documentElement.style.setProperty(names[k], v);
  }
  if (TG) { TG.ready(); TG.expand(); }
}

function status(text, kind) {
  const box = $("status");
  box.textContent = text || "";
  box.className = "status " + (kind || "");
  box.hidden = !text;
}

class ApiError extends Error {
  constructor(status, body) { super((body && body.message) || String(status)); this.status = status; this.body = body || {}; }
}

// A network failure (the bot restarting, a weak connection) is retried for reads; the
// page says so meanwhile and carries on where it was once the server answers again.
async function api(method, path, body, attempt = 0) {
  const init = { method, headers: { Authorization: "tma " + INIT_DATA }, credentials: "omit" };
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body || {});
  }
  let response;
  try {
    response = await fetch("api" + path, init);
  } catch (e) {
    status(t("offline"), "warn");
    if (method !== "GET" || attempt > 30) throw new ApiError(0, { message: t("offline") });
    await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
    return api(method, path, body, attempt + 1);
  }
  if (response.status >= 500 && method === "GET" && attempt < 30) {
    status(t("offline"), "warn");
    await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
    return api(method, path, body, attempt + 1);
  }
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if ($("status").classList.contains("warn")) status("");
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// ---- tabs --------------------------------------------------------------------------------
const VIEWS = [
  ["planner", "tab_planner", (c) => c.plan],
  ["people", "tab_people", (c) => c.people],
  ["dashboard", "tab_dashboard", (c) => c.dashboard],
  ["broadcast", "tab_broadcast", (c) => c.broadcast],
  ["my", "tab_my", (c) => c.volunteer],
];

function buildTabs() {
  const nav = $("tabs");
  nav.replaceChildren();
  for (const [name, key, allowed] of VIEWS) {
    if (!allowed(ME.can)) continue;
    nav.append(el("button", { type: "button", role: "tab", id: "tab-" + name, text: t(key),
      onclick: () => show(name) }));
  }
}

function show(name) {
  state.view = name;
  for (const [view] of VIEWS) {
    const section = $("view-" + view);
    section.hidden = view !== name;
    const tab = $("tab-" + view);
    if (tab) tab.setAttribute("aria-selected", String(view === name));
  }
  refresh().catch(showError);
}

async function refresh() {
  if (state.view === "planner") return loadPlanner();
  if (state.view === "people") return loadPeople();
  if (state.view === "dashboard") return loadDashboard();
  if (state.view === "broadcast") return loadAudiences();
  if (state.view === "my") return loadMy();
}

function showError(error) {
  status(error.message || String(error), "error");
}

function fillTeams(select, teams, allLabel, selected) {
  select.replaceChildren(el("option", { value: "", text: allLabel }));
  for (const team of teams) select.append(el("option", { value: team.id, text: team.name }));
  select.value = selected || "";
}

// ---- planner -----------------------------------------------------------------------------
let PLAN = null;

async function loadPlanner() {
  const query = new URLSearchParams();
  if (state.start) query.set("start", state.start);
  if (state.team) query.set("team", state.team);
  PLAN = await api("GET", "/planner?" + query.toString());
  state.start = PLAN.start;
  $("week-label").textContent = t("week_of", { date: PLAN.days[0].label });
  fillTeams($("planner-team"), PLAN.teams, t("all_teams"), state.team);
  $("new-event").hidden = !ME.can.events;
  const week = $("week");
  week.replaceChildren();
  for (const day of PLAN.days) {
    const items = [...PLAN.events, ...PLAN.shifts]
      .filter((item) => item.day === day.date)
      .sort((a, b) => a.starts_at.localeCompare(b.starts_at));
    const column = el("div", { class: "day", "data-day": day.date }, el("h4", { text: day.label }));
    if (!items.length) column.append(el("p", { class: "muted", text: t("nothing_planned") }));
    for (const item of items) column.append(itemCard(item));
    week.append(column);
  }
}

function itemCard(item) {
  const classes = ["item", "fill-" + item.fill, item.kind];
  if (item.understaffed) classes.push("understaffed");
  if (item.cancelled) classes.push("cancelled");
  const taken = item.kind === "shift" ? item.taken : item.going;
  const card = el("button", { type: "button", class: classes.join(" "), "data-id": item.id,
    "data-kind": item.kind, onclick: () => openEditor(item.kind, item) },
    el("span", { class: "time", text: `${item.start}–${item.end}` }),
    el("strong", { class: "title", text: item.title }));
  if (item.team_name) card.append(el("span", { class: "team", text: item.team_name }));
  const meta = el("span", { class: "meta" });
  meta.append(el("span", { class: "fill", text: item.capacity === null ? String(taken)
    : t("fill", { taken, capacity: item.capacity }) }));
  if (item.kind === "shift") {
    if (item.waitlist) meta.append(el("span", { text: t("waitlist_label", { n: item.waitlist }) }));
    if (item.checked_in) meta.append(el("span", { text: t("checked_in_label", { n: item.checked_in }) }));
  } else {
    meta.append(el("span", { text: t("event_label") }));
    if (item.confirmed) meta.append(el("span", { text: t("confirmed_label", { n: item.confirmed }) }));
  }
  if (item.cancelled) meta.append(el("span", { class: "badge", text: t("cancelled_label") }));
  else if (item.understaffed) meta.append(el("span", { class: "badge", text: t("understaffed") }));
  card.append(meta);
  return card;
}

let EDITING = null;

function openEditor(kind, item) {
  EDITING = { kind, item };
  const isNew = !item;
  $("editor-heading").textContent = t(`form_${isNew ? "new" : "edit"}_${kind}`);
  $("f-title").value = item ? item.title : "";
  const fixedTitle = kind === "shift" && !isNew;
  $("f-title").disabled = fixedTitle;
  $("f-title-fixed").hidden = !fixedTitle;
  fillTeams($("f-team"), PLAN ? PLAN.teams : [], t("no_team"), item ? item.team_id : state.team);
  $("f-team").disabled = !isNew;
  const base = PLAN ? PLAN.days[0].date : ME.now_local.slice(0, 10);
  const tomorrow = ME.now_local.slice(0, 10) >= base ? nextDay(ME.now_local.slice(0, 10)) : base;
  $("f-start").value = item ? item.start_local : `${tomorrow}T08:00`;
  $("f-end").value = item ? item.end_local : `${tomorrow}T11:00`;
  $("f-capacity").value = item && item.capacity !== null ? item.capacity : (kind === "shift" ? 10 : "");
  $("f-capacity-label").textContent = t(kind === "shift" ? "form_capacity" : "form_capacity_optional");
  $("f-place").value = item ? item.place : "";
  $("f-notes").value = item ? (kind === "shift" ? item.notes : item.description) : "";
  $("f-notes-label").textContent = t(kind === "shift" ? "form_notes" : "form_description");
  $("f-notes").disabled = kind === "shift" && !isNew;
  const cancel = $("f-cancel-item");
  cancel.hidden = isNew || item.cancelled;
  cancel.textContent = t(kind === "shift" ? "cancel_shift" : "cancel_event");
  $("f-save").hidden = !!(item && item.cancelled);
  $("editor-error").textContent = "";
  const dialog = $("editor");
  if (!dialog.open) dialog.showModal();
}

function nextDay(iso) {
  const d = new Date(iso + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function formBody() {
  const { kind, item } = EDITING;
  const capacityText = $("f-capacity").value.trim();
  const capacity = capacityText === "" ? null : Number(capacityText);
  const body = { starts_at: $("f-start").value, ends_at: $("f-end").value, place: $("f-place").value,
    capacity: Number.isFinite(capacity) ? capacity : capacityText };
  if (!item) {
    body.title = $("f-title").value;
    body.team_id = $("f-team").value ? Number($("f-team").value) : null;
  } else {
    body.version = item.version;
    if (kind === "event") body.title = $("f-title").value;
  }
  if (kind === "shift" && !item) body.notes = $("f-notes").value;
  if (kind === "event") body.description = $("f-notes").value;
  if (kind === "shift" && capacity === null) body.capacity = null;
  return body;
}

async function saveEditor() {
  const { kind, item } = EDITING;
  const path = kind === "shift" ? "/shifts" : "/events";
  try {
    if (item) await api("PUT", `${path}/${item.id}`, formBody());
    else await api("POST", path, formBody());
    $("editor").close();
    status(t("saved"), "ok");
    await loadPlanner();
  } catch (error) {
    await editorFailed(error);
  }
}

async function cancelItem() {
  const { kind, item } = EDITING;
  if (!window.confirm(t("confirm_cancel"))) return;
  try {
    await api("POST", `/${kind === "shift" ? "shifts" : "events"}/${item.id}/cancel`, { version: item.version });
    $("editor").close();
    status(t("cancelled_done"), "ok");
    await loadPlanner();
  } catch (error) {
    await editorFailed(error);
  }
}

// Someone else saved first: show the latest version in the form, keep the message.
async function editorFailed(error) {
  const message = error.message;
  if (error.status === 409 && EDITING.item) {
    await loadPlanner();
    const list = EDITING.kind === "shift" ? PLAN.shifts : PLAN.events;
    const fresh = list.find((x) => x.id === EDITING.item.id);
    if (fresh) openEditor(EDITING.kind, fresh);
  }
  $("editor-error").textContent = message;
}

// ---- people ------------------------------------------------------------------------------
async function loadPeople(more) {
  if (!more) state.peopleOffset = 0;
  const query = new URLSearchParams();
  if ($("people-team").value) query.set("team", $("people-team").value);
  if ($("people-skill").value) query.set("skill", $("people-skill").value);
  if ($("people-q").value.trim()) query.set("q", $("people-q").value.trim());
  query.set("offset", String(state.peopleOffset));
  const data = await api("GET", "/people?" + query.toString());
  const team = $("people-team").value;
  const skill = $("people-skill").value;
  fillTeams($("people-team"), data.teams, t("all_teams"), team);
  $("people-skill").replaceChildren(el("option", { value: "", text: t("people_skill_all") }),
    ...data.skills.map((s) => el("option", { value: s, text: s })));
  $("people-skill").value = skill;
  const list = $("people-list");
  if (!more) list.replaceChildren();
  for (const person of data.people) list.append(personCard(person, data.teams));
  const shown = Math.min(data.offset + data.people.length, data.total);
  $("people-total").textContent = data.total ? t("people_total", { shown, total: data.total }) : t("people_none");
  $("people-more").hidden = shown >= data.total;
  state.peopleOffset = shown;
}

function personCard(p, teams) {
  const card = el("div", { class: "card person", "data-person": p.person_id },
    el("strong", { text: p.name }),
    p.username ? el("span", { class: "muted", text: " @" + p.username }) : null,
    el("div", { class: "role", text: p.role_label + (p.teams.length ? " · " + p.teams.map((x) => x.name + (x.lead ? " ★" : "")).join(", ") : "") }));
  if (p.skills.length) card.append(el("div", { text: t("skills_label", { skills: p.skills.join(", ") }) }));
  card.append(el("div", { class: "muted", text: p.reliability === null ? t("reliability_none")
    : t("reliability_label", { value: p.reliability, attended: p.attended, missed: p.no_shows }) }));
  card.append(el("div", { class: "muted", text: t("last_seen", { when: p.last_seen }) }));
  if (ME.can.roles && p.person_id !== ME.person_id) {
    const role = el("select", { "aria-label": t("set_role") });
    for (const r of ["volunteer", "lead", "coordinator", "partner", "media"]) role.append(el("option", { value: r, text: t("role_" + r) }));
    role.value = p.role === "admin" ? "coordinator" : p.role;
    const team = el("select", { "aria-label": t("role_team") });
    for (const x of teams) team.append(el("option", { value: x.id, text: x.name }));
    const result = el("span", { class: "muted" });
    const apply = el("button", { type: "button", text: t("set_role"), onclick: async () => {
      try {
        await api("POST", `/people/${p.person_id}/role`, { role: role.value,
          team_id: role.value === "lead" && team.value ? Number(team.value) : null });
        result.textContent = t("role_changed");
        await loadPeople();
      } catch (error) { result.textContent = error.message; }
    } });
    card.append(el("div", { class: "row" }, role, team, apply, result));
  }
  return card;
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

// ---- broadcast composer ------------------------------------------------------------------
async function loadAudiences() {
  const select = $("bc-audience");
  if (select.options.length) return;
  const data = await api("GET", "/broadcast/audiences");
  select.replaceChildren(el("option", { value: "", text: t("bc_choose") }));
  for (const a of data.audiences) {
    if (!a.choices.length) select.append(el("option", { value: a.kind, text: a.label }));
    else {
      const group = el("optgroup", { label: a.label });
      for (const c of a.choices) group.append(el("option", { value: c.key, text: c.label }));
      select.append(group);
    }
  }
}

async function prepareBroadcast() {
  const text = $("bc-text").value;
  const audience = $("bc-audience").value;
  $("bc-error").textContent = "";
  $("bc-result").textContent = "";
  $("bc-preview").textContent = text;
  const key = text + "\u0000" + audience;
  if (!state.draftId || state.draftKey !== key) {
    const draft = await api("POST", "/broadcasts", { text });
    state.draftId = draft.id;
    state.draftKey = key;
    const chosen = await api("POST", `/broadcasts/${draft.id}/audience`, { audience });
    $("bc-count").textContent = t("bc_count", { n: chosen.count });
  }
  const outlook = await api("POST", `/broadcasts/${state.draftId}/outlook`, { scheduled_at: $("bc-at").value || null });
  $("bc-quiet").hidden = !outlook.notice;
  $("bc-quiet").textContent = outlook.notice || "";
  return outlook;
}

async function sendBroadcast(event) {
  event.preventDefault();
  try {
    await prepareBroadcast();
    const sent = await api("POST", `/broadcasts/${state.draftId}/send`, { scheduled_at: $("bc-at").value || null, hold: $("bc-hold").checked });
    state.draftId = null;
    $("bc-result").textContent = sent.scheduled ? t("bc_scheduled_for", { when: sent.scheduled, n: sent.total }) : t("bc_sent", { n: sent.total });
  } catch (error) { $("bc-error").textContent = error.message; }
}

// ---- volunteers --------------------------------------------------------------------------
function shiftLine(s, action) {
  const card = el("div", { class: "card shift", "data-id": s.id },
    el("strong", { text: s.title }), el("div", { text: s.when }),
    el("div", { class: "muted", text: [s.team_name, s.place].filter(Boolean).join(" · ") }),
    el("div", { class: "muted", text: t("free_label", { n: s.free }) + " · " + t("fill", { taken: s.taken, capacity: s.capacity }) }));
  if (action) card.append(action);
  return card;
}

async function loadMy() {
  const data = await api("GET", "/my");
  $("my-mine").replaceChildren(...(data.mine.length ? data.mine.map((s) => shiftLine(s)) : [el("p", { class: "muted", text: t("none_mine") })]));
  $("my-open").replaceChildren(...(data.open.length ? data.open.map((s) => shiftLine(s, el("button", {
    type: "button", class: "primary", text: t("take"), onclick: async () => {
      try {
        const result = await api("POST", `/shifts/${s.id}/claim`, {});
        $("my-result").textContent = result.message;
      } catch (error) { $("my-result").textContent = error.message; }
      await loadMy();
    } }))) : [el("p", { class: "muted", text: t("none_open") })]));
}

// ---- start -------------------------------------------------------------------------------
async function start() {
  applyTheme();
  try {
    ME = await api("GET", "/me");
  } catch (error) {
    const lang = (navigator.language || "id").slice(0, 2) === "en" ? "en" : "id";
    try { S = (await (await fetch("api/strings?lang=" + lang)).json()).strings; } catch (e) { S = {}; }
    document.body.classList.add("refused");
    status(error.status === 401 ? t("auth_failed") : error.message, "error");
    return;
  }
  S = ME.strings;
  document.documentElement.lang = ME.language;
  document.title = t("app_title");
  $("who").textContent = ME.name;
  for (const node of document.querySelectorAll("[data-s]")) node.textContent = t(node.dataset.s);
  $("week-prev").textContent = t("week_prev");
  $("week-next").textContent = t("week_next");
  $("new-shift").textContent = t("new_shift");
  $("new-event").textContent = t("new_event");
  $("people-q").placeholder = t("people_search");
  $("people-more").textContent = t("more");
  $("week-prev").onclick = () => { state.start = PLAN.prev; loadPlanner().catch(showError); };
  $("week-next").onclick = () => { state.start = PLAN.next; loadPlanner().catch(showError); };
  $("planner-team").onchange = (e) => { state.team = e.target.value; loadPlanner().catch(showError); };
  $("new-shift").onclick = () => openEditor("shift", null);
  $("new-event").onclick = () => openEditor("event", null);
  $("f-save").onclick = () => saveEditor();
  $("f-cancel-item").onclick = () => cancelItem();
  $("f-close").onclick = () => $("editor").close();
  for (const id of ["people-team", "people-skill"]) $(id).onchange = () => loadPeople().catch(showError);
  let typing = null;
  $("people-q").oninput = () => { clearTimeout(typing); typing = setTimeout(() => loadPeople().catch(showError), 300); };
  $("people-more").onclick = () => loadPeople(true).catch(showError);
  $("dash-team").onchange = () => loadDashboard().catch(showError);
  $("bc-check").onclick = () => prepareBroadcast().catch((e) => { $("bc-error").textContent = e.message; });
  $("bc-form").onsubmit = sendBroadcast;
  $("bc-text").oninput = () => { $("bc-preview").textContent = $("bc-text").value; };
  buildTabs();
  const first = VIEWS.find(([, , allowed]) => allowed(ME.can));
  if (first) show(first[0]);
  // Live numbers: the planner, dashboard and own shifts refresh while nobody is typing.
  setInterval(() => {
    if (document.hidden || $("editor").open) return;
    if (["planner", "dashboard", "my"].includes(state.view)) refresh().catch(() => {});
  }, REFRESH_MS);
}

document.addEventListener("DOMContentLoaded", start);
