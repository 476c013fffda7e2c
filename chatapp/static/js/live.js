/* chatapp live updates: keep a server-rendered page current while it is open.
 *
 * A page declares what it shows with a hidden element in <main>:
 *   <div class="live-config" data-live="event names" data-url="/page" data-user-id="7"
 *        data-leave-to="/chats" [data-chat-id="3" data-chat-name="Team"]>
 * When one of those Socket.IO events arrives (for a chat page: only about its chat), the page
 * fetches itself again and swaps in the new <main>. The HTML comes from our own server, escaped
 * by Jinja; nothing here builds markup from strings. When the chat of the page is dissolved or
 * the viewer leaves it, the page goes to the chat list and says why.
 *
 * A page with a part another script keeps current (data-live-keep: the chat page's timeline,
 * drawn by chat.js) has only its elements marked data-live-part replaced, matched by id; then
 * "chatapp:refreshed" is dispatched on the document. The socket is shared as
 * window.chatappSocket.
 */
(function () {
  "use strict";

  var NOTICE_KEY = "chatapp.notice";
  var EVENTS = [
    "friend_request_received", "friend_request_sent", "friend_request_accepted",
    "friend_request_declined", "friend_request_cancelled", "friend_removed",
    "chat_created", "chat_renamed", "member_added", "member_removed", "role_changed",
    "chat_dissolved", "message_created", "message_recalled", "messages_read",
  ];
  var STATES = { connecting: "Connecting…", live: "Live", offline: "Offline" };

  var main = document.getElementById("main");
  if (!main || window.chatappLive) return;  // the script is in <main>: never start twice
  var cfg = readConfig();
  if (!cfg) return;
  window.chatappLive = true;

  function readConfig() {
    var el = main.querySelector(".live-config");
    if (!el) return null;
    var chatId = el.getAttribute("data-chat-id");
    return {
      events: (el.getAttribute("data-live") || "").split(/\s+/).filter(Boolean),
      url: el.getAttribute("data-url") || location.pathname + location.search,
      userId: Number(el.getAttribute("data-user-id")),
      leaveTo: el.getAttribute("data-leave-to") || "/",
      chatId: chatId ? Number(chatId) : null,
      chatName: el.getAttribute("data-chat-name") || "",
    };
  }

  /* --- a notice carried over to the next page (like a flashed message) ----------------- */

  function showNotice(text) {
    var box = main.querySelector(".flashes");
    if (!box) {
      box = document.createElement("div");
      box.className = "flashes";
      box.setAttribute("role", "status");
      main.prepend(box);
    }
    var p = document.createElement("p");
    p.className = "flash flash-info";
    p.textContent = text;
    box.append(p);
  }

  function showStoredNotice() {
    try {
      var text = sessionStorage.getItem(NOTICE_KEY);
      if (text) {
        sessionStorage.removeItem(NOTICE_KEY);
        showNotice(text);
      }
    } catch (e) { /* storage disabled: nothing was stored either */ }
  }

  function leave(text) {
    try { sessionStorage.setItem(NOTICE_KEY, text); } catch (e) { /* shown nowhere then */ }
    closed = true;
    location.assign(cfg.leaveTo);
  }

  /* --- the connection indicator --------------------------------------------------------- */

  function makeIndicator() {
    var el = document.createElement("span");
    el.className = "live-status";
    el.setAttribute("role", "status");
    el.setAttribute("data-testid", "live-status");
    var nav = document.querySelector(".topbar .topnav");
    if (nav) nav.prepend(el); else document.body.append(el);
    return el;
  }

  function setState(state) {
    indicator.setAttribute("data-state", state);
    indicator.textContent = STATES[state];
    indicator.title = state === "live" ? "Updates appear as they happen"
      : state === "offline" ? "Not connected; retrying" : "Connecting for live updates";
  }

  /* --- refreshing the page ------------------------------------------------------------------ */

  var timer = null;
  var busy = false;
  var again = false;
  var closed = false;
  var submitting = false;  // a form of this page was sent: its answer replaces the page

  function scheduleRefresh() {
    // A form showing what to correct stays as it is; sending it again brings the news.
    if (main.querySelector(".errors li")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 60);  // events often come in bursts: one fetch for all
  }

  function refresh() {
    if (closed || submitting) return;
    if (busy) { again = true; return; }
    busy = true;
    fetch(cfg.url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        var landed = new URL(response.url, location.href);
        if (response.status === 404 && cfg.chatId !== null) {
          leave("“" + cfg.chatName + "” is no longer available to you.");
          return null;
        }
        if (response.redirected && landed.pathname !== new URL(cfg.url, location.href).pathname) {
          closed = true;
          location.assign(landed.href);  // logged out elsewhere, for instance
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || closed || submitting) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (fresh) swap(fresh);
      })
      .catch(function () { /* offline: the reconnect refreshes */ })
      .then(function () {
        busy = false;
        if (again) { again = false; scheduleRefresh(); }
      });
  }

  // Controls the person changed and has not sent: kept across a swap, matched by id.
  function editedControls() {
    var kept = [];
    main.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== el.defaultChecked) kept.push([el.id, "checked", el.checked]);
      } else if (el.type !== "hidden" && el.value !== el.defaultValue) {
        kept.push([el.id, "value", el.value]);
      }
    });
    return kept;
  }

  function timelineState() {
    var t = main.querySelector("[data-timeline]");
    if (!t) return null;
    return { top: t.scrollTop, atBottom: t.scrollHeight - t.scrollTop - t.clientHeight < 48 };
  }

  function restoreTimeline(state) {
    var t = main.querySelector("[data-timeline]");
    if (!t) return;
    t.scrollTop = !state || state.atBottom ? t.scrollHeight : state.top;
  }

  function swapParts(fresh) {
    fresh.querySelectorAll("[data-live-part][id]").forEach(function (part) {
      var current = document.getElementById(part.id);
      if (current && main.contains(current)) current.replaceWith(document.importNode(part, true));
    });
    cfg = readConfig() || cfg;
    document.dispatchEvent(new CustomEvent("chatapp:refreshed"));
  }

  function swap(fresh) {
    if (main.querySelector("[data-live-keep]")) {
      swapParts(fresh);
      return;
    }
    var scrollX = window.scrollX;
    var scrollY = window.scrollY;
    var timeline = timelineState();
    var kept = editedControls();
    var focused = document.activeElement && main.contains(document.activeElement)
      ? document.activeElement.id : "";
    var flashes = main.querySelector(".flashes");

    fresh.querySelectorAll("script").forEach(function (s) { s.remove(); });
    main.replaceChildren.apply(main, Array.prototype.slice.call(fresh.childNodes));
    if (flashes && !main.querySelector(".flashes")) main.prepend(flashes);

    kept.forEach(function (k) {
      var el = document.getElementById(k[0]);
      if (el) el[k[1]] = k[2];
    });
    if (focused) {
      var target = document.getElementById(focused);
      if (target) target.focus({ preventScroll: true });
    }
    cfg = readConfig() || cfg;
    window.scrollTo(scrollX, scrollY);
    restoreTimeline(timeline);
  }

  /* --- events ------------------------------------------------------------------------------- */

  function chatOf(payload) {
    if (payload.chat_id !== undefined) return payload.chat_id;
    if (payload.chat && payload.chat.chat_id !== undefined) return payload.chat.chat_id;
    if (payload.message && payload.message.chat_id !== undefined) return payload.message.chat_id;
    return null;
  }

  // Presence changes often and touches one attribute: set it in place, no refetch.
  function showPresence(payload) {
    if (!payload || typeof payload.user_id !== "number") return;
    main.querySelectorAll("[data-presence]").forEach(function (dot) {
      if (Number(dot.getAttribute("data-presence")) !== payload.user_id) return;
      var online = payload.online === true;
      dot.setAttribute("data-online", online ? "true" : "false");
      dot.title = online ? "Online" : "Offline";
      var label = dot.querySelector(".visually-hidden");
      if (label) label.textContent = online ? "online" : "offline";
    });
  }

  function handle(name, payload) {
    // While our own form is on its way, its events are about it: the answer shows the result
    // (and a refresh now could take the message the server keeps for that answer).
    if (closed || submitting || cfg.events.indexOf(name) < 0) return;
    payload = payload || {};
    // Others reading changes nothing shown here; our own reading (another tab) does.
    if (name === "messages_read" && payload.user_id !== cfg.userId) return;
    if (cfg.chatId !== null) {
      var chatId = chatOf(payload);
      if (chatId !== null && chatId !== cfg.chatId) return;
      if (name === "chat_dissolved") {
        leave("“" + cfg.chatName + "” was dissolved.");
        return;
      }
      if (name === "member_removed" && payload.user_id === cfg.userId) {
        leave(payload.reason === "left" ? "You left “" + cfg.chatName + "”."
          : "You were removed from “" + cfg.chatName + "”.");
        return;
      }
    }
    scheduleRefresh();
  }

  /* --- start ------------------------------------------------------------------------------ */

  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;
    submitting = true;
    setTimeout(function () { submitting = false; }, 10000);  // the answer never came
  });

  showStoredNotice();
  if (location.pathname + location.search !== cfg.url) {
    // A form re-rendered after a POST: reloading should show the page, not post again.
    history.replaceState(history.state, "", cfg.url);
  }
  restoreTimeline(null);

  var indicator = makeIndicator();
  if (typeof window.io !== "function") {
    setState("offline");
    return;
  }
  setState("connecting");
  var socket = window.io();  // same origin; the session cookie says who we are
  window.chatappSocket = socket;
  var connectedBefore = false;
  socket.on("connect", function () {
    setState("live");
    if (connectedBefore) scheduleRefresh();  // catch up on what happened while away
    connectedBefore = true;
  });
  socket.on("disconnect", function () { if (!closed) setState("offline"); });
  socket.on("connect_error", function () { setState("offline"); });
  socket.io.on("reconnect_attempt", function () {
    if (indicator.getAttribute("data-state") !== "offline") setState("connecting");
  });
  socket.on("presence_changed", showPresence);
  EVENTS.forEach(function (name) {
    socket.on(name, function (payload) { handle(name, payload); });
  });
  window.addEventListener("pagehide", function () { closed = true; socket.close(); });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    closed = false;  // back from the browser's page cache: reconnect, which refreshes
    submitting = false;
    socket.connect();
  });
})();
