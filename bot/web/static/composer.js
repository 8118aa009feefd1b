// Gotong Mini App, the broadcast composer: loaded before app.js (the shared helpers and start()).
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


// Wires this page's controls (texts from the catalogs, handlers); start() calls it.
function setupComposer() {
  $("bc-check").onclick = () => prepareBroadcast().catch((e) => { $("bc-error").textContent = e.message; });
  $("bc-form").onsubmit = sendBroadcast;
  $("bc-text").oninput = () => { $("bc-preview").textContent = $("bc-text").value; };
}
