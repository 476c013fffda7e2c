/* chatapp live pages: a page that shows live data fetches itself again when it changes.
 *
 * A page declares what it shows with a hidden element in <main>:
 *   <div class="live-config" data-live="event names" data-url="/page" data-leave-to="/chats"
 *        [data-chat-id="3" data-chat-name="Team"]>
 * When one of those Socket.IO events arrives (for a chat page: only about its chat), the page
 * fetches itself again and swaps in the new <main>. The HTML comes from our own server, escaped
 * by Jinja; nothing here builds markup from strings. When the chat of the page is dissolved or
 * the viewer leaves it, the page goes to the chat list and says why.
 *
 * A page with a part another script keeps current (data-live-keep: the conversation's
 * timeline) has only its elements marked data-live-part replaced, matched by id; then
 * "chatapp:refreshed" is dispatched on the document. Pages without a config (profile, search)
 * are not refreshed; their badge and title still are (unread.js). Presence dots
 * ([data-presence]) change in place.
 */
import * as connection from "./connection.js";
import { flashNext, showStored } from "./flash.js";
import { t } from "./strings.js";
import * as unread from "./unread.js";

const EVENTS = [
  "friend_request_received", "friend_request_sent", "friend_request_accepted",
  "friend_request_declined", "friend_request_cancelled", "friend_removed",
  "chat_created", "chat_renamed", "member_added", "member_removed", "role_changed",
  "chat_dissolved", "message_created", "message_recalled", "message_edited", "messages_read",
  "message_pinned", "chat_notify_changed",
];

let main = null;
let cfg = null;  // null: nothing on this page to refresh
let userId = null;
let timer = null;
let busy = false;
let again = false;

function readConfig() {
  const el = main.querySelector(".live-config");
  if (!el) return null;
  const chatId = el.getAttribute("data-chat-id");
  return {
    events: (el.getAttribute("data-live") || "").split(/\s+/).filter(Boolean),
    url: el.getAttribute("data-url") || location.pathname + location.search,
    leaveTo: el.getAttribute("data-leave-to") || "/",
    chatId: chatId ? Number(chatId) : null,
    chatName: el.getAttribute("data-chat-name") || "",
  };
}

function leave(text) {
  flashNext(text);
  connection.navigate(cfg.leaveTo);
}

function scheduleRefresh() {
  // A form showing what to correct stays as it is; sending it again brings the news.
  if (!cfg || main.querySelector(".errors li")) return;
  clearTimeout(timer);
  timer = setTimeout(refresh, 60);  // events often come in bursts: one fetch for all
}

function refresh() {
  if (connection.leaving()) return;
  if (busy) { again = true; return; }
  busy = true;
  const sync = unread.beginSync();  // the fresh page's badge counts what came until it was made
  let fresh = null;
  // X-Live-Refresh: the page leaves flashed messages for the next page the person opens.
  fetch(cfg.url, {
    credentials: "same-origin", headers: { Accept: "text/html", "X-Live-Refresh": "1" },
  })
    .then((response) => {
      const landed = new URL(response.url, location.href);
      if (response.status === 404 && cfg.chatId !== null) {
        leave(t("chat_unavailable", { name: cfg.chatName }));
        return null;
      }
      if (response.redirected && landed.pathname !== new URL(cfg.url, location.href).pathname) {
        connection.navigate(landed.href);  // logged out elsewhere, for instance
        return null;
      }
      return response.ok ? response.text() : null;
    })
    .then((html) => {
      if (html === null || connection.leaving()) return;
      fresh = new DOMParser().parseFromString(html, "text/html");
      if (!fresh.getElementById("main")) return;
      if (fresh.title) unread.setBaseTitle(fresh.title);  // a chat renamed
      swap(fresh.getElementById("main"));
    })
    .catch(() => { /* offline: the reconnect refreshes */ })
    .then(() => {
      unread.endSync(sync, fresh && unread.snapshotOf(fresh.querySelector("[data-unread-badge]")));
      busy = false;
      if (again) { again = false; scheduleRefresh(); }
    });
}

// Controls the person changed and has not sent: kept across a swap, matched by id.
function editedControls() {
  const kept = [];
  main.querySelectorAll("input[id], textarea[id], select[id]").forEach((el) => {
    if (el.type === "checkbox" || el.type === "radio") {
      if (el.checked !== el.defaultChecked) kept.push([el.id, "checked", el.checked]);
    } else if (el.type !== "hidden" && el.value !== el.defaultValue) {
      kept.push([el.id, "value", el.value]);
    }
  });
  return kept;
}

/** Where the page's timeline is scrolled: {top, atBottom}, or null without one. */
export function timelineState() {
  const timeline = document.querySelector("[data-timeline]");
  if (!timeline) return null;
  return {
    top: timeline.scrollTop,
    atBottom: timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 48,
  };
}

function restoreTimeline(state) {
  const timeline = main.querySelector("[data-timeline]");
  if (!timeline) return;
  timeline.scrollTop = !state || state.atBottom ? timeline.scrollHeight : state.top;
}

/** Show what a fresh copy of this page (a parsed document, from a form's answer) shows: its
 * title, and its live parts (or its whole <main>), as a live refresh would. */
export function adopt(freshDoc) {
  const freshMain = freshDoc.getElementById("main");
  if (!freshMain) return;
  if (freshDoc.title) unread.setBaseTitle(freshDoc.title);
  swap(freshMain);
}

// What the person changed and where the focus was survive a swap (matched by id).
function keepEdits(replace) {
  const kept = editedControls();
  const focused = document.activeElement && main.contains(document.activeElement)
    ? document.activeElement.id : "";
  replace();
  kept.forEach((k) => {
    const el = document.getElementById(k[0]);
    if (el) el[k[1]] = k[2];
  });
  if (focused && document.activeElement !== document.getElementById(focused)) {
    const target = document.getElementById(focused);
    if (target) target.focus({ preventScroll: true });
  }
}

function swapParts(fresh) {
  keepEdits(() => {
    fresh.querySelectorAll("[data-live-part][id]").forEach((part) => {
      const current = document.getElementById(part.id);
      if (current && main.contains(current)) current.replaceWith(document.importNode(part, true));
    });
  });
  cfg = readConfig() || cfg;
  document.dispatchEvent(new CustomEvent("chatapp:refreshed"));
}

function swap(fresh) {
  if (main.querySelector("[data-live-keep]")) {
    swapParts(fresh);
    return;
  }
  const scrollX = window.scrollX;
  const scrollY = window.scrollY;
  const timeline = timelineState();
  const flashes = main.querySelector(".flashes");
  keepEdits(() => {
    fresh.querySelectorAll("script").forEach((s) => s.remove());
    main.replaceChildren(...Array.from(fresh.childNodes));
    if (flashes && !main.querySelector(".flashes")) main.prepend(flashes);
  });
  cfg = readConfig() || cfg;
  window.scrollTo(scrollX, scrollY);
  restoreTimeline(timeline);
}

// Presence changes often and touches one attribute: set it in place, no refetch.
function showPresence(payload) {
  if (typeof payload.user_id !== "number") return;
  main.querySelectorAll("[data-presence]").forEach((dot) => {
    if (Number(dot.getAttribute("data-presence")) !== payload.user_id) return;
    const online = payload.online === true;
    dot.setAttribute("data-online", online ? "true" : "false");
    dot.title = t(online ? "online" : "offline");
    const label = dot.querySelector(".visually-hidden");
    if (label) label.textContent = dot.title;
  });
}

function handle(name, payload) {
  // While our own form is on its way, its events are about it: the answer shows the result
  // (and a refresh now could take the message the server keeps for that answer).
  if (!cfg || connection.leaving() || cfg.events.indexOf(name) < 0) return;
  // Others reading changes nothing shown here; our own reading (another tab) does.
  if (name === "messages_read" && payload.user_id !== userId) return;
  if (cfg.chatId !== null) {
    const chatId = unread.chatOf(payload);
    if (chatId !== null && chatId !== cfg.chatId) return;
    if (name === "chat_dissolved") {
      leave(t("chat_dissolved", { name: cfg.chatName }));
      return;
    }
    if (name === "member_removed" && payload.user_id === userId) {
      leave(t(payload.reason === "left" ? "you_left" : "you_were_removed", { name: cfg.chatName }));
      return;
    }
  }
  scheduleRefresh();
}

/** switcher.js put another chat in the page without loading it: read what the page now
 * shows (its live config) and its title. */
export function pageChanged(title) {
  cfg = readConfig() || cfg;
  unread.chatChanged(title);
}

/** Start (after connection.start()); signed-in pages only. */
export function start() {
  main = document.getElementById("main");
  const badge = document.querySelector("[data-unread-badge]");
  if (!main || !badge) return;
  userId = Number(badge.getAttribute("data-user-id"));
  cfg = readConfig();
  showStored();
  if (cfg && location.pathname + location.search !== cfg.url) {
    // A form re-rendered after a POST: reloading should show the page, not post again.
    history.replaceState(history.state, "", cfg.url);
  }
  restoreTimeline(null);
  EVENTS.forEach((name) => connection.on(name, (payload) => handle(name, payload)));
  connection.on("presence_changed", showPresence);
  connection.onCatchUp((reconnected) => { if (reconnected) scheduleRefresh(); });
}
