// Gotong Mini App, the week planner: loaded before app.js (the shared helpers and start()).
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
  $("f-repeat").hidden = isNew || item.cancelled;
  $("f-repeat-count").value = "";
  $("f-repeat-until").value = "";
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

// Copies of the item, every day or week, N times or until a date: the server's rules decide
// (count, last date, not from the past); a refusal is shown in the form, nothing written.
async function repeatItem() {
  const { kind, item } = EDITING;
  const countText = $("f-repeat-count").value.trim();
  const body = { step: $("f-repeat-step").value, until: $("f-repeat-until").value || null,
    count: countText === "" ? null : (Number.isInteger(Number(countText)) ? Number(countText) : countText) };
  try {
    const done = await api("POST", `/${kind === "shift" ? "shifts" : "events"}/${item.id}/repeat`, body);
    $("editor").close();
    status(done.message, "ok");
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


// "📅 Plan in the app" on a chat card opens the planner at that item's week and team:
// ?start=YYYY-MM-DD&team=ID (a query: Telegram's own parameters are in the fragment).
function plannerFromLink() {
  const query = new URLSearchParams(location.search);
  const start = query.get("start") || HASH.get("start") || "";
  const team = query.get("team") || HASH.get("team") || "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(start)) state.start = start;
  if (/^\d{1,12}$/.test(team)) state.team = team;
}

// Wires this page's controls (texts from the catalogs, handlers); start() calls it.
function setupPlanner() {
  plannerFromLink();
  $("week-prev").textContent = t("week_prev");
  $("week-next").textContent = t("week_next");
  $("new-shift").textContent = t("new_shift");
  $("new-event").textContent = t("new_event");
  $("week-prev").onclick = () => { state.start = PLAN.prev; loadPlanner().catch(showError); };
  $("week-next").onclick = () => { state.start = PLAN.next; loadPlanner().catch(showError); };
  $("planner-team").onchange = (e) => { state.team = e.target.value; loadPlanner().catch(showError); };
  $("new-shift").onclick = () => openEditor("shift", null);
  $("new-event").onclick = () => openEditor("event", null);
  $("f-save").onclick = () => saveEditor();
  $("f-cancel-item").onclick = () => cancelItem();
  $("f-repeat-go").onclick = () => repeatItem();
  $("f-close").onclick = () => $("editor").close();
}
