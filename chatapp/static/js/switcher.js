/* chatapp: the chats beside the conversation, and changing chats without reloading the page.
 *
 * The chat page (a desktop's width) shows the sidebar (data-sidebar: the user's chats, drawn
 * by the server from the same macro as the chat list) beside the conversation (everything in
 * data-chat-pane). Choosing a chat there fetches that chat's page and swaps in its pane: the
 * conversation on screen stops (conversation.js) and the new one starts. The address
 * follows (pushState), so back and forward change chats, and a chat's scroll position comes
 * back when the person returns to it; its draft is drafts.js's. Anything unexpected (another
 * page, an error, no network) falls back to a plain page load.
 *
 * The sidebar keeps itself current: messages, reads and chat changes re-fetch it from the
 * server (debounced), keeping what was typed in its filter and its scroll position. At a
 * phone's width the sidebar is hidden and the list is its own page.
 */
import * as conversation from "./chat/conversation.js";
import * as connection from "./connection.js";
import { pageChanged, timelineState } from "./refresh.js";

var CHAT_PATH = /^\/chats\/\d+$/;
var REFRESH_EVENTS = ["message_created", "message_recalled", "message_edited", "messages_read",
  "chat_notify_changed", "chat_created",
  "chat_renamed", "chat_dissolved", "member_added", "member_removed"];
var positions = new Map();   // path -> {top, atBottom} of its timeline when left
var loading = null;          // the AbortController of the chat being fetched
var filterText = "";
var refreshTimer = 0;

function sidebar() { return document.querySelector("[data-sidebar]"); }
function pane() { return document.querySelector("[data-chat-pane]"); }

function markCurrent() {
  var path = location.pathname;
  sidebar().querySelectorAll("a.chatlink").forEach(function (link) {
    if (new URL(link.href, location.href).pathname === path) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  });
}

/* --- changing chats ----------------------------------------------------------------------- */

function go(url, push) {
  var target = new URL(url, location.href);
  if (loading) loading.abort();
  var controller = loading = new AbortController();
  fetch(target.href, { credentials: "same-origin", headers: { Accept: "text/html" },
    signal: controller.signal })
    .then(function (response) {
      // Redirected (logged out, the chat gone): let the browser show where it leads.
      if (!response.ok || new URL(response.url).pathname !== target.pathname) throw new Error();
      return response.text();
    })
    .then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var next = fresh.querySelector("[data-chat-pane]");
      if (!next) throw new Error();
      if (controller !== loading) return;
      loading = null;
      positions.set(location.pathname, timelineState());
      conversation.stop();
      pane().replaceWith(document.importNode(next, true));
      if (push) history.pushState({ chat: true }, "", target.pathname + target.search);
      pageChanged(fresh.title);
      markCurrent();
      conversation.start();
      var saved = positions.get(target.pathname);
      var timeline = document.querySelector("[data-timeline]");
      if (saved && !saved.atBottom && timeline && !target.search) timeline.scrollTop = saved.top;
      var text = document.querySelector("[data-composer-text]");
      if (text && !text.closest("[hidden]")) text.focus({ preventScroll: true });
      document.dispatchEvent(new CustomEvent("chatapp:navigated"));
    })
    .catch(function (error) {
      if (error && error.name === "AbortError") return;
      location.assign(target.href);
    });
}

/** Change chats in place (a desktop's chat page, with its sidebar). */
export function install() {
  if (!document.querySelector("[data-sidebar]") || !window.history || !history.pushState) return;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-sidebar] a.chatlink");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey
        || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (new URL(link.href, location.href).pathname !== location.pathname) go(link.href, true);
  });

  window.addEventListener("popstate", function () {
    if (CHAT_PATH.test(location.pathname)) go(location.href, false);
    else location.reload();
  });

  /* --- the filter ------------------------------------------------------------------------ */

  function applyFilter() {
    var box = sidebar().querySelector("[data-sidebar-filter]");
    if (box && box.value !== filterText) box.value = filterText;
    var words = filterText.trim().toLowerCase();
    sidebar().querySelectorAll("li[data-name]").forEach(function (item) {
      item.hidden = words !== "" && item.getAttribute("data-name").indexOf(words) === -1;
    });
  }

  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("[data-sidebar-filter]")) return;
    filterText = event.target.value;
    applyFilter();
  });

  /* --- keeping the sidebar current ------------------------------------------------------------ */

  function refreshSidebar() {
    var current = sidebar();
    var url = current.getAttribute("data-sidebar-url");
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-sidebar]");
        if (!fresh) return;
        var old = sidebar();
        var list = old.querySelector(".chatlist");
        var scroll = list ? list.scrollTop : 0;
        var focused = old.contains(document.activeElement) ? document.activeElement : null;
        if (focused && focused.matches("[data-sidebar-filter]")) {
          // Typing in the filter: refresh the list only, so the caret stays where it is.
          var freshList = fresh.querySelector(".chatlist");
          list.replaceWith(document.importNode(freshList, true));
        } else {
          old.replaceWith(document.importNode(fresh, true));
        }
        markCurrent();
        applyFilter();
        var again = sidebar().querySelector(".chatlist");
        if (again) again.scrollTop = scroll;
        document.dispatchEvent(new CustomEvent("chatapp:refreshed", { detail: "sidebar" }));
      })
      .catch(function () { /* offline: the reconnect brings it back */ });
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshSidebar, 150);  // a burst of events: one fetch
  }

  document.addEventListener("chatapp:refreshed", function (event) {
    if (event.detail !== "sidebar") { markCurrent(); applyFilter(); }
  });
  connection.onCatchUp(function (reconnected) { if (reconnected) scheduleRefresh(); });
  REFRESH_EVENTS.forEach(function (name) { connection.on(name, scheduleRefresh); });
  history.replaceState({ chat: true }, "", location.href);
  markCurrent();
}
