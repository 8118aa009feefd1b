// Gotong Mini App, a volunteer's own shifts: loaded before app.js (the shared helpers and start()).
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

