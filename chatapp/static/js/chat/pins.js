/* chatapp pinned messages (used by conversation.js): the header's "Pinned (n)" button opens a
 * list of the chat's pinned messages above the timeline; a click on one shows it in the
 * conversation. The list is fetched when opened and again when a pin changes while it is open
 * (`message_pinned`; a recall or an edit of a pinned message too). The header itself, with its
 * count, is redrawn by refresh.js, so the button is found by delegation. */
import { getJson } from "../api.js";
import { el } from "../dom.js";

/** ``app`` gives: root (the [data-chat] element), url (the pins API), open(message),
 * showError(error). */
export function pinsPanel(app) {
  const panel = app.root.querySelector("[data-pins-panel]");
  const list = panel.querySelector("[data-pins-list]");
  const empty = panel.querySelector("[data-pins-empty]");
  let asked = 0;

  function toggleButton() {
    return app.root.querySelector("[data-pins-toggle]");
  }

  function item(m) {
    const li = el("li", "pin");
    const b = el("button", "pin-open");
    b.type = "button";
    b.setAttribute("data-pin", String(m.msg_id));
    const text = m.file ? m.file.name : m.msg_text;
    b.append(el("strong", "pin-name", m.sender.user_name), el("span", "pin-text", text));
    b.addEventListener("click", () => app.open(m));
    li.append(b);
    return li;
  }

  function load() {
    const mine = ++asked;
    getJson(app.url).then((answer) => {
      if (mine !== asked || panel.hidden) return;
      list.replaceChildren(...answer.messages.map(item));
      empty.hidden = answer.messages.length > 0;
    }).catch(app.showError);
  }

  function setOpen(open) {
    panel.hidden = !open;
    const button = toggleButton();
    if (button) button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) load();
  }

  function onClick(event) {
    if (event.target.closest("[data-pins-toggle]")) setOpen(panel.hidden);
  }

  // refresh.js drew the header anew: its button says whether the list is open.
  function onRefreshed() {
    const button = toggleButton();
    if (button) button.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
  }

  app.root.addEventListener("click", onClick);
  document.addEventListener("chatapp:refreshed", onRefreshed);
  return {
    /** A message changed: the open list follows a pin, an unpin, a recall or an edit. */
    changed(m) {
      if (!panel.hidden && (m.pinned_at || list.querySelector(`[data-pin="${m.msg_id}"]`))) load();
    },
    /** Escape: close the list; true if it was open. */
    close() {
      if (panel.hidden) return false;
      setOpen(false);
      const button = toggleButton();
      if (button) button.focus();
      return true;
    },
    stop() {
      app.root.removeEventListener("click", onClick);
      document.removeEventListener("chatapp:refreshed", onRefreshed);
    },
  };
}
