// Gotong Mini App, people: loaded before app.js (the shared helpers and start()).
// ---- people ------------------------------------------------------------------------------
async function loadPeople(more) {
  if (!more) state.peopleOffset = 0;
  const query = new URLSearchParams();
  if ($("people-team").value) query.set("team", $("people-team").value);
  if ($("people-skill").value) query.set("skill", $("people-skill").value);
  if ($("people-q").value.trim()) query.set("q", $("people-q").value.trim());
  query.set("offset", String(state.peopleOffset));
  const data = await api("GET", "/people?" + query.toString());
  fillInvite(data);
  if (!more) loadUnconfirmedEvents().catch(showError);
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


// Wires this page's controls (texts from the catalogs, handlers); start() calls it.
function setupPeople() {
  $("people-q").placeholder = t("people_search");
  $("people-more").textContent = t("more");
  for (const id of ["people-team", "people-skill"]) $(id).onchange = () => loadPeople().catch(showError);
  let typing = null;
  $("people-q").oninput = () => { clearTimeout(typing); typing = setTimeout(() => loadPeople().catch(showError), 300); };
  $("people-more").onclick = () => loadPeople(true).catch(showError);
  setupPeopleTools();
}

// ---- invite links and who hasn't confirmed -------------------------------------------------
let INVITE_SETUP = false;
function fillInvite(data) {
  if (INVITE_SETUP || !data.invite) return;
  INVITE_SETUP = true;
  const team = $("invite-team");
  team.replaceChildren();
  if (data.invite.no_team) team.append(el("option", { value: "", text: t("no_team") }));
  for (const x of data.teams) team.append(el("option", { value: x.id, text: x.name }));
  $("invite-role").replaceChildren(...data.invite.roles.map((r) => el("option", { value: r.role, text: r.label })));
}

async function createInvite() {
  const teamId = $("invite-team").value;
  try {
    const made = await api("POST", "/people/invites", { role: $("invite-role").value,
      team_id: teamId ? Number(teamId) : null });
    $("invite-link").value = made.link || made.payload;
    $("invite-open").hidden = !made.link;
    if (made.link) $("invite-open").href = made.link;
    $("invite-result").hidden = false;
    $("invite-msg").textContent = made.text;
  } catch (error) { $("invite-msg").textContent = error.message; }
}

async function copyInvite() {
  const link = $("invite-link");
  try { await navigator.clipboard.writeText(link.value); } catch (e) { link.select(); document.execCommand("copy"); }
  $("invite-msg").textContent = t("invite_copied");
}

async function loadUnconfirmedEvents() {
  if (!ME.can.events && !ME.can.people) return;
  let data;
  try { data = await api("GET", "/people/events"); } catch (e) { $("unconf-box").hidden = true; return; }
  const select = $("unconf-event");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: data.events.length ? t("unconfirmed_pick") : t("unconfirmed_no_events") }),
    ...data.events.map((e) => el("option", { value: e.id, text: t("unconfirmed_event", { title: e.title, when: e.when, n: e.unconfirmed, going: e.going }) })));
  if (chosen && data.events.some((e) => String(e.id) === chosen)) select.value = chosen;
  await loadUnconfirmed();
}

function openChat(link) {
  if (TG && link.startsWith("https://t.me/") && TG.openTelegramLink) TG.openTelegramLink(link);
  else window.open(link, "_blank", "noopener");
}

async function loadUnconfirmed() {
  const id = $("unconf-event").value;
  const list = $("unconf-list");
  list.replaceChildren();
  $("unconf-remind").hidden = true;
  $("unconf-msg").textContent = "";
  if (!id) return;
  const d = await api("GET", `/events/${id}/unconfirmed`);
  $("unconf-msg").textContent = d.people.length ? t("unconfirmed_count", { n: d.people.length }) : t("unconfirmed_all");
  $("unconf-remind").hidden = !(d.can_remind && d.people.length);
  for (const p of d.people) {
    const link = el("a", { href: p.chat_link, text: t("message_person"), onclick: (ev) => { ev.preventDefault(); openChat(p.chat_link); } });
    list.append(el("li", { class: "unconfirmed", "data-person": p.person_id },
      el("span", { text: p.name + (p.username ? " @" + p.username : "") }), link));
  }
}

async function remindUnconfirmed() {
  const id = $("unconf-event").value;
  if (!id) return;
  try {
    const done = await api("POST", `/events/${id}/remind`, {});
    $("unconf-msg").textContent = done.message;
  } catch (error) { $("unconf-msg").textContent = error.message; }
}

function setupPeopleTools() {
  $("invite-create").onclick = createInvite;
  $("invite-copy").onclick = copyInvite;
  $("unconf-event").onchange = () => loadUnconfirmed().catch(showError);
  $("unconf-remind").onclick = remindUnconfirmed;
}
