/* chatapp forwarding (used by conversation.js): "Forward" on a message opens a small modal
 * dialog of the person's other chats (GET /api/chats); choosing one sends a copy there
 * (`forward_message` over the socket). The conversation stays where it is, and a status line
 * under it says where the copy went.
 *
 * The dialog is a native modal <dialog>, as confirm.js's: it is labelled by its heading, the
 * focus starts in its "Find a chat" field and stays inside, the arrow keys move between the
 * field and the chats, Enter in the field takes the first chat shown, Escape or Cancel closes
 * it, and the focus goes back to the button that opened it. A copy keeps its client_msg_id
 * through retries (the same message to the same chat), so the server stores it once.
 */
import { getJson } from "../api.js";
import { el } from "../dom.js";
import { errorText, t } from "../strings.js";

const NOTICE_FOR = 6000;  // ms the "Forwarded to ..." line stays

function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return "f-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}

/** ``app`` gives: chatId, chatsUrl (GET /api/chats), emit(name, payload, done),
 * announce(text) (the conversation's aria-live line) and statusAfter (the element the visible
 * status line goes after). Returns {open(m, opener), stop()}. */
export function forwarder(app) {
  let ui = null;
  let current = null;       // {m, opener, chats, busy} while the dialog is open
  const ids = new Map();    // "msg_id:to_chat_id" -> the client_msg_id of that copy
  let status = null;
  let statusTimer = null;

  function build() {
    const dialog = el("dialog", "confirm-dialog forward-dialog");
    dialog.setAttribute("data-testid", "forward-dialog");
    dialog.setAttribute("aria-labelledby", "forward-title");
    dialog.setAttribute("aria-describedby", "forward-what");
    const title = el("h2", "confirm-question", t("forward_title"));
    title.id = "forward-title";
    const what = el("p", "forward-what muted");
    what.id = "forward-what";
    const label = el("label", "forward-find-label", t("forward_find"));
    label.htmlFor = "forward-find";
    const find = el("input", "forward-find");
    find.id = "forward-find";
    find.type = "search";
    find.autocomplete = "off";
    find.setAttribute("aria-controls", "forward-chats");
    const list = el("ul", "forward-chats");
    list.id = "forward-chats";
    list.setAttribute("aria-labelledby", "forward-title");
    const note = el("p", "forward-note muted");
    note.setAttribute("role", "status");
    const error = el("p", "forward-error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    const cancel = el("button", "btn btn-ghost", t("cancel"));
    cancel.type = "button";
    const row = el("div", "confirm-actions");
    row.append(cancel);
    dialog.append(title, what, label, find, list, note, error, row);
    document.body.append(dialog);

    cancel.addEventListener("click", () => close());
    find.addEventListener("input", () => showChats());
    dialog.addEventListener("keydown", onKey);
    dialog.addEventListener("close", () => { if (current) close(); });
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) close();  // the backdrop: the dialog's own box is padded
    });
    return { dialog, what, find, list, note, error };
  }

  function onKey(event) {
    if (event.key === "Escape") {
      // Ours alone: the conversation's Escape (closing pop-ups) must not keep it open.
      event.preventDefault();
      event.stopPropagation();
      close();
      return;
    }
    const buttons = Array.from(ui.list.querySelectorAll("button"));
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!buttons.length || (at < 0 && document.activeElement !== ui.find)) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = at + step;
      if (next < 0) ui.find.focus(); else buttons[Math.min(next, buttons.length - 1)].focus();
    } else if (event.key === "Enter" && document.activeElement === ui.find) {
      event.preventDefault();
      if (buttons.length) buttons[0].click();
    }
  }

  /** The chats to choose from, as filtered by the field. */
  function showChats() {
    const words = ui.find.value.trim().toLowerCase();
    const shown = current.chats.filter((c) => c.chat_name.toLowerCase().includes(words));
    ui.list.replaceChildren(...shown.map((c) => {
      const b = el("button", "forward-chat", c.chat_name);
      b.type = "button";
      b.setAttribute("data-forward-to", String(c.chat_id));
      b.addEventListener("click", () => send(c));
      const li = el("li");
      li.append(b);
      return li;
    }));
    ui.note.textContent = current.chats.length ? "" : t("forward_none");
    ui.note.hidden = !ui.note.textContent;
  }

  function showError(error) {
    ui.error.textContent = t("forward_failed", { error: errorText(error) });
    ui.error.hidden = false;
  }

  /** Choose where message ``m`` goes; ``opener`` gets the focus back. */
  function open(m, opener) {
    if (!ui) ui = build();
    close();
    current = { m, opener, chats: [], busy: false };
    const shown = m.file ? m.file.name : m.msg_text;
    ui.what.textContent = m.sender.user_name + ": " + shown.slice(0, 80);
    ui.find.value = "";
    ui.list.replaceChildren();
    ui.error.hidden = true;
    ui.note.textContent = t("forward_loading");
    ui.note.hidden = false;
    ui.dialog.showModal();
    ui.find.focus();
    const asked = current;
    getJson(app.chatsUrl).then((answer) => {
      if (current !== asked) return;
      asked.chats = answer.chats.filter((c) => c.chat_id !== app.chatId);
      showChats();
    }).catch((error) => {
      if (current !== asked) return;
      ui.note.hidden = true;
      showError(error);
    });
  }

  function send(chat) {
    const was = current;
    if (!was || was.busy) return;
    const key = was.m.msg_id + ":" + chat.chat_id;
    if (!ids.has(key)) ids.set(key, newClientId());
    was.busy = true;
    ui.error.hidden = true;
    ui.dialog.setAttribute("aria-busy", "true");
    app.emit("forward_message", {
      chat_id: app.chatId, msg_id: was.m.msg_id, to_chat_id: chat.chat_id,
      client_msg_id: ids.get(key),
    }, (answer) => {
      was.busy = false;
      if (ui) ui.dialog.removeAttribute("aria-busy");
      if (current !== was) return;
      if (!answer.ok) {
        showError(answer.error);
        return;
      }
      ids.delete(key);
      close();
      say(t("forwarded_to", { name: chat.chat_name }));
    });
  }

  function close() {
    if (!current) return;
    const was = current;
    current = null;
    if (ui.dialog.open) ui.dialog.close();
    if (was.opener && was.opener.isConnected) was.opener.focus({ preventScroll: true });
  }

  /** "Forwarded to bob.": a line above the composer for a while, and said aloud. */
  function say(text) {
    if (!status) {
      status = el("p", "forward-status");
      status.setAttribute("data-testid", "forward-status");
      app.statusAfter.after(status);
    }
    status.textContent = text;
    status.hidden = false;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => { status.hidden = true; }, NOTICE_FOR);
    app.announce(text);
  }

  return {
    open,
    stop() {
      close();
      clearTimeout(statusTimer);
      if (ui) ui.dialog.remove();
      if (status) status.remove();
      ui = status = null;
    },
  };
}
