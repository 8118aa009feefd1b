// The browser sandbox: a Telegram-like chat over the sandbox's user HTTP API.  Everything
// the bot sends is shown with textContent (the visible text), photos inline, documents as
// downloads; buttons are pressed as that person; web_app buttons open the Mini App with
// initData the sandbox signs for them.
"use strict";

const $ = (id) => document.getElementById(id);
let S = {};
let PEOPLE = [];
let ME = null;
let lastSeen = "";
let BOT = "gotong_sandbox_bot";

function t(key) { return S[key] || key; }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

async function call(name, body) {
  const response = await fetch("api/proxy/" + name, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const data = await response.json();
  if (!data.ok) throw new Error(data.description || name);
  return data.result;
}

function user() { return { user_id: ME.user_id, first_name: ME.first_name, language_code: ME.language_code }; }

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = !text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

async function press(message, button) {
  if (button.web_app) return openApp(button.web_app.url);
  if (button.url) { window.open(button.url, "_blank", "noopener"); return; }
  const id = await call("press", { user: user(), chat_id: message.chat_id, message_id: message.message_id, data: button.callback_data });
  try {
    const answer = await call("wait_for_callback_answer", { callback_query_id: id, timeout: 10 });
    if (answer && answer.text) toast(answer.text);
  } catch (e) { /* unanswered: the chat shows whatever the bot did */ }
  await poll();
}

function renderMessage(m) {
  const box = el("div", { class: "msg" + (m.from_bot ? "" : " mine"), "data-message": m.message_id });
  if (m.photo && m.photo.length) {
    box.append(el("img", { src: "api/file/" + encodeURIComponent(m.photo[m.photo.length - 1].file_id), alt: "photo" }));
  }
  if (m.document) {
    const name = m.document.file_name || "file";
    box.append(el("a", { class: "doc", href: `api/file/${encodeURIComponent(m.document.file_id)}?name=${encodeURIComponent(name)}`, download: name, text: `📎 ${name} (${t("chat_download")})` }));
  }
  if (m.location) box.append(el("div", { text: `📍 ${m.location.latitude}, ${m.location.longitude}` }));
  if (m.text) box.append(el("div", { class: "text", text: m.text }));
  const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
  if (rows.length) {
    const buttons = el("div", { class: "buttons" });
    for (const row of rows) {
      const line = el("div", { class: "row" });
      for (const b of row) line.append(el("button", { type: "button", text: b.text, onclick: () => press(m, b).catch((e) => toast(e.message)) }));
      buttons.append(line);
    }
    box.append(buttons);
  }
  return box;
}

function renderReplyKeyboard(m) {
  const box = $("reply-keyboard");
  box.replaceChildren();
  const keyboard = m && m.reply_keyboard;
  if (!keyboard || !keyboard.keyboard) return;
  for (const row of keyboard.keyboard) for (const b of row) {
    const label = typeof b === "string" ? b : b.text;
    box.append(el("button", { type: "button", text: label, onclick: () => {
      if (b.request_location) shareLocation(); else sendText(label);
    } }));
  }
}

async function poll() {
  if (!ME) return;
  const messages = await call("messages", { chat_id: ME.user_id });
  const visible = messages.filter((m) => !m.deleted);
  const key = visible.map((m) => `${m.message_id}.${m.version}`).join(",");
  if (key === lastSeen) return;
  lastSeen = key;
  const list = $("messages");
  list.replaceChildren(...visible.map(renderMessage));
  list.scrollTop = list.scrollHeight;
  renderReplyKeyboard([...visible].reverse().find((m) => m.from_bot && m.reply_keyboard));
}

async function sendText(text) {
  if (!text.trim()) return;
  await call("send_message", { user: user(), text });
  await poll();
}

async function shareLocation() {
  await call("send_location", { user: user(), latitude: -6.2088, longitude: 106.8456 });
  await poll();
}

async function openApp(url) {
  const signed = await (await fetch("api/initdata", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(user()) })).json();
  const target = new URL(url || "/app/", location.href);
  target.hash = "tgWebAppData=" + encodeURIComponent(signed.init_data);
  $("app-frame").src = target.toString();
  $("app-panel").hidden = false;
}

function choose(id) {
  ME = PEOPLE.find((p) => String(p.user_id) === String(id)) || PEOPLE[0];
  lastSeen = "";
  $("messages").replaceChildren();
  poll().catch((e) => toast(e.message));
}

function fillPeople(selected) {
  const select = $("user");
  select.replaceChildren(...PEOPLE.map((p) => el("option", { value: p.user_id, text: `${p.first_name} (#${p.user_id}, ${p.language_code || "id"})` })),
    el("option", { value: "new", text: t("chat_new_user") }));
  select.value = String(selected);
}

async function start() {
  const people = await (await fetch("api/people")).json();
  PEOPLE = people.people;
  BOT = people.bot;
  const lang = (navigator.language || "id").slice(0, 2) === "en" ? "en" : "id";
  S = (await (await fetch("/app/api/strings?lang=" + lang)).json()).strings;
  document.documentElement.lang = lang;
  $("chat-title").textContent = `${t("chat_title")} · @${BOT}`;
  $("intro").textContent = t("chat_intro");
  $("user-label").textContent = t("chat_user");
  $("open-app").textContent = t("chat_open_app");
  $("text").placeholder = t("chat_placeholder");
  $("send").textContent = t("chat_send");
  $("location").textContent = "📍";
  $("location").title = t("chat_location");
  $("app-close").textContent = t("chat_app_close");
  $("app-panel-title").textContent = t("app_title");
  // ?user=30&name=Ani&lang=en: start as that person (links from docs and tests).
  const query = new URLSearchParams(location.search);
  const wanted = query.get("user");
  if (wanted && !PEOPLE.some((p) => String(p.user_id) === wanted) && Number(wanted) > 0) {
    PEOPLE.push({ user_id: Number(wanted), first_name: query.get("name") || `User ${wanted}`,
      language_code: query.get("lang") === "en" ? "en" : "id" });
  }
  fillPeople(wanted || PEOPLE[0].user_id);
  choose($("user").value);
  $("user").onchange = (e) => {
    if (e.target.value !== "new") return choose(e.target.value);
    const answer = (window.prompt(t("chat_new_user_prompt")) || "").trim().split(/\s+/);
    const id = Number(answer[0]);
    if (Number.isInteger(id) && id > 0) {
      PEOPLE.push({ user_id: id, first_name: answer[1] || `User ${id}`, language_code: answer[2] === "en" ? "en" : "id" });
      fillPeople(id);
      choose(id);
    } else fillPeople(ME.user_id);
  };
  $("composer").onsubmit = (e) => {
    e.preventDefault();
    const text = $("text").value;
    $("text").value = "";
    sendText(text).catch((err) => toast(err.message));
  };
  $("location").onclick = () => shareLocation().catch((e) => toast(e.message));
  $("open-app").onclick = () => openApp(null).catch((e) => toast(e.message));
  $("app-close").onclick = () => { $("app-panel").hidden = true; $("app-frame").src = "about:blank"; poll(); };
  setInterval(() => poll().catch(() => {}), 1000);
}

document.addEventListener("DOMContentLoaded", start);
