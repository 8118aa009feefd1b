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
  setupPlanner();
  setupPeople();
  setupDashboard();
  setupComposer();
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

