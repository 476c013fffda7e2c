/* chatapp unread count and notifications: what waits unread, wherever the person is.
 *
 * - The badge of the top bar's "Chats" link ([data-unread-badge], rendered by the server with
 *   each chat's count and highest seq) and "(3) …" in the tab title, kept current from
 *   message_created, messages_read (the person's own, from any tab), chat_dissolved and
 *   member_removed, and fetched again after a reconnect. The conversation on screen reports its
 *   own chat's count with showChatUnread(chatId, count), since only it knows whether the
 *   person is looking at the newest messages.
 * - Desktop notifications: "Enable notifications" while the browser has not been asked, and a
 *   notification for a message from someone else while the tab is hidden, unless the person
 *   set that chat to notify of mentions only or of nothing (a mention of them always
 *   notifies; data-quiet, chat_notify_changed;
 *   its unread count still shows).
 */
import * as connection from "./connection.js";
import { plainText } from "./chat/format.js";
import { mentionsMe, mentionText } from "./chat/mentions.js";
import { flash } from "./flash.js";
import { t } from "./strings.js";

const UNREAD_PREFIX = /^\(\d+\)\s+/;
const EVENTS = ["message_created", "messages_read", "chat_dissolved", "member_removed"];
// chat id -> "mentions" | "none": chats that do not notify of every message.
const quiet = new Map();

let badge = null;
let userId = null;
// chat id -> {count, top}: messages from others waiting there, and the highest seq already
// counted (a live message counts only above it, so none counts twice).
const unread = new Map();
let open = null;      // {chatId, count}: the conversation's own chat, as it counts it
let pending = [];     // events that came while fresh counts were on their way
let syncing = 0;
let baseTitle = document.title.replace(UNREAD_PREFIX, "");

/** The counts a page's badge was rendered with: {chat id: [count, highest seq]}. */
export function snapshotOf(el) {
  if (!el) return null;
  try {
    const counts = JSON.parse(el.getAttribute("data-unread") || "{}");
    return counts && typeof counts === "object" ? counts : null;
  } catch (e) {
    return null;
  }
}

function adopt(counts) {
  unread.clear();
  Object.keys(counts).forEach((id) => {
    const c = counts[id];
    if (Array.isArray(c)) unread.set(Number(id), { count: Number(c[0]) || 0, top: Number(c[1]) || 0 });
  });
}

// Fresh counts from the server (a refreshed page's badge, or the chat list API) replace the
// ones here; what came while they were on their way is counted again on top of them.
/** Fresh counts are on their way: returns the mark to give endSync. */
export function beginSync() {
  syncing += 1;
  return pending.length;
}

/** The counts begun at ``from`` arrived (null: they did not). */
export function endSync(from, counts) {
  syncing -= 1;
  if (counts) {
    adopt(counts);
    pending.slice(from).forEach((e) => count(e[0], e[1]));
  }
  if (!syncing) pending = [];
  show();
}

let resyncing = false;
let resyncAgain = false;
function resync() {
  if (resyncing) { resyncAgain = true; return; }
  resyncing = true;
  const sync = beginSync();
  fetch(badge.getAttribute("data-sync-url"), {
    credentials: "same-origin", headers: { Accept: "application/json" },
  })
    .then((response) => (response.ok ? response.json() : null))
    .then((body) => {
      if (!body || !Array.isArray(body.chats)) return null;
      const counts = {};
      body.chats.forEach((c) => { counts[c.chat_id] = [c.unread, c.last_seq]; });
      setQuiet(Object.fromEntries(body.chats.map((c) => [c.chat_id, c.notify])));
      return counts;
    }, () => null)
    .then((counts) => {
      endSync(sync, counts);
      resyncing = false;
      if (resyncAgain) { resyncAgain = false; resync(); }
    });
}

function setQuiet(levels) {
  quiet.clear();
  Object.keys(levels || {}).forEach((id) => {
    if (levels[id] && levels[id] !== "all") quiet.set(Number(id), levels[id]);
  });
}

/** What of chat ``chatId`` notifies the person: "all", "mentions" or "none". */
export function notifyLevel(chatId) {
  return quiet.get(chatId) || "all";
}

/** The chat an event is about, or null. */
export function chatOf(payload) {
  if (payload.chat_id !== undefined) return payload.chat_id;
  if (payload.chat && payload.chat.chat_id !== undefined) return payload.chat.chat_id;
  if (payload.message && payload.message.chat_id !== undefined) return payload.message.chat_id;
  return null;
}

/** Count an event that changes what waits unread. */
function count(name, payload) {
  if (name === "message_created") {
    const m = payload.message;
    if (!m || !m.sender) return;
    if (m.sender.user_id === userId) {
      readUpTo(m.chat_id, m.seq);  // sending counts as reading
    } else if (m.msg_type !== "system") {
      const had = unread.get(m.chat_id) || { count: 0, top: 0 };
      if (m.seq > had.top) unread.set(m.chat_id, { count: had.count + 1, top: m.seq });
    }
  } else if (name === "messages_read" && payload.user_id === userId) {
    readUpTo(payload.chat_id, payload.up_to_seq);
  } else if (name === "chat_dissolved"
             || (name === "member_removed" && payload.user_id === userId)) {
    unread.delete(chatOf(payload));
  }
}

function readUpTo(chatId, seq) {
  const had = unread.get(chatId);
  if (!had || seq >= had.top) {
    unread.set(chatId, { count: 0, top: Math.max(seq, had ? had.top : 0) });
  } else if (had.count > 0) {
    resync();  // read part of it: the server knows how much is left
  }
}

function total() {
  let sum = 0;
  unread.forEach((u, chatId) => { if (!open || chatId !== open.chatId) sum += u.count; });
  return sum + (open ? open.count : 0);
}

function show() {
  if (!badge) return;
  const n = total();
  badge.hidden = n === 0;
  badge.firstElementChild.textContent = n > 99 ? "99+" : String(n);
  badge.lastElementChild.textContent = " " + t("unread_messages", { count: n });
  document.title = n > 0 ? "(" + n + ") " + baseTitle : baseTitle;
}

/** The page's own title changed (a chat renamed, another chat on screen). */
export function setBaseTitle(title) {
  baseTitle = String(title).replace(UNREAD_PREFIX, "");
  show();
}

/** The conversation's count for its own chat: what came while the person was not looking. */
export function showChatUnread(chatId, n) {
  open = { chatId, count: Math.max(0, Number(n) || 0) };
  show();
}

/** Another chat is on screen (switcher.js): its conversation reports its own count anew. */
export function chatChanged(title) {
  open = null;
  setBaseTitle(title || document.title);
}

/* --- desktop notifications ------------------------------------------------------------------ */

function canNotify() {
  return "Notification" in window && typeof window.Notification === "function";
}

function chatUrl(chatId) {  // data-chat-url is "/chats/0": 0 stands for the id
  return badge.getAttribute("data-chat-url").replace(/0$/, String(chatId));
}

// A message from someone else while the tab is hidden: the sender and the text (or the
// file's name); a click brings the tab forward on that chat. Several hidden tabs each show
// it, under one tag, so the system keeps one.
function notify(payload) {
  const m = payload.message;
  if (!m || !m.sender || m.msg_type === "system" || m.sender.user_id === userId) return;
  // A mention of the person always notifies; else only a chat set to "all" does.
  if (notifyLevel(m.chat_id) !== "all" && !mentionsMe(m, userId)) return;
  if (document.visibilityState !== "hidden" || !canNotify()) return;
  if (window.Notification.permission !== "granted") return;
  const body = m.file ? m.file.name : mentionText(plainText(m.msg_text || ""), m);  // no formatting marks
  let shown;
  try {
    shown = new window.Notification(t("new_message_from", { name: m.sender.user_name }), {
      body: body.length > 200 ? body.slice(0, 199) + "…" : body,
      tag: "chatapp-message-" + m.msg_id,
      icon: m.sender.avatar_url || undefined,
    });
  } catch (e) {
    return;  // browsers that only notify from a service worker (Chrome on Android)
  }
  shown.onclick = () => {
    window.focus();
    shown.close();
    const here = document.querySelector(".live-config[data-chat-id]");
    if (!here || Number(here.getAttribute("data-chat-id")) !== m.chat_id) {
      location.assign(chatUrl(m.chat_id));
    }
  };
}

// "Enable notifications" in the top bar while the browser has not been asked yet.
function makeNotifyButton() {
  if (!canNotify() || window.Notification.permission !== "default"
      || typeof window.Notification.requestPermission !== "function") return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-ghost btn-sm notify-toggle";
  button.setAttribute("data-testid", "enable-notifications");
  button.title = t("enable_notifications_hint");
  button.append(bellIcon());
  const label = document.createElement("span");
  label.className = "notify-label";
  label.textContent = t("enable_notifications");
  button.append(label);
  let asking = false;
  button.addEventListener("click", () => {
    if (asking) return;
    asking = true;
    let asked;
    try {
      asked = window.Notification.requestPermission();
    } catch (e) {
      asked = null;
    }
    Promise.resolve(asked).then((answer) => {
      answer = answer || window.Notification.permission;
      if (answer === "granted") {
        button.remove();
      } else if (answer === "denied") {
        button.remove();
        flash(t("notifications_blocked"));
      } else {
        asking = false;  // dismissed: ask again on the next click
      }
    });
  });
  connection.indicator.after(button);
}

function bellIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const attributes = {
    "aria-hidden": "true", width: "16", height: "16", viewBox: "0 0 24 24", fill: "none",
    stroke: "currentColor", "stroke-width": "2", "stroke-linecap": "round",
    "stroke-linejoin": "round",
  };
  Object.keys(attributes).forEach((name) => svg.setAttribute(name, attributes[name]));
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.94 1.94 0 0 0 3.4 0");
  svg.append(path);
  return svg;
}

/** Start counting (after connection.start()); signed-in pages only. */
export function start() {
  badge = document.querySelector("[data-unread-badge]");
  if (!badge || !connection.indicator) return;
  userId = Number(badge.getAttribute("data-user-id"));
  makeNotifyButton();
  adopt(snapshotOf(badge) || {});
  try {
    setQuiet(JSON.parse(badge.getAttribute("data-quiet") || "{}"));
  } catch (e) { /* no levels: every chat notifies */ }
  show();
  EVENTS.forEach((name) => connection.on(name, (payload) => {
    if (syncing) pending.push([name, payload]);
    count(name, payload);
    show();
  }));
  connection.on("message_created", notify);
  connection.on("chat_notify_changed", (payload) => {
    setQuiet({ ...Object.fromEntries(quiet), [payload.chat_id]: payload.notify });
  });
  connection.onCatchUp((reconnected) => { if (reconnected) resync(); });
}
