/* chatapp live updates: the one Socket.IO connection of a tab, and what it keeps current.
 *
 * On every signed-in page (base.html loads it) it owns:
 * - the connection and catch-up: it opens the socket (window.chatappLive.socket, also
 *   window.chatappSocket), shows its state in the top bar, and after a reconnect, or when the
 *   server says live events were lost (catch_up_needed), refreshes the page and calls what
 *   other scripts registered with window.chatappLive.onCatchUp(fn) (chat.js fetches the
 *   messages it missed); fn(reconnected) runs after the first connect too, with false;
 * - the unread count: the badge of the top bar's "Chats" link ([data-unread-badge], rendered
 *   by the server with each chat's count) and "(3) …" in the tab title, kept current from
 *   message_created, messages_read (the person's own, from any tab), chat_dissolved and
 *   member_removed. A chat page reports its own chat's count with
 *   window.chatappLive.showChatUnread(chatId, count), since only it knows whether the person
 *   is looking at the newest messages;
 * - desktop notifications: it offers to enable them and shows one for a message from someone
 *   else while the tab is hidden.
 * Its words come from page.js (window.Chatapp).
 *
 * A page that shows live data declares it with a hidden element in <main>:
 *   <div class="live-config" data-live="event names" data-url="/page" data-leave-to="/chats"
 *        [data-chat-id="3" data-chat-name="Team"]>
 * When one of those Socket.IO events arrives (for a chat page: only about its chat), the page
 * fetches itself again and swaps in the new <main>. The HTML comes from our own server, escaped
 * by Jinja; nothing here builds markup from strings. When the chat of the page is dissolved or
 * the viewer leaves it, the page goes to the chat list and says why.
 *
 * A page with a part another script keeps current (data-live-keep: the chat page's timeline,
 * drawn by chat.js) has only its elements marked data-live-part replaced, matched by id; then
 * "chatapp:refreshed" is dispatched on the document. Pages without one (profile, search)
 * are not refreshed; their badge and title still are.
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

  var main = document.getElementById("main");
  var badge = document.querySelector("[data-unread-badge]");  // only for someone signed in
  if (!main || !badge || !window.Chatapp || window.chatappLive) return;  // never start twice
  var t = window.Chatapp.t;
  var userId = Number(badge.getAttribute("data-user-id"));
  var cfg = readConfig();  // null: nothing on this page to refresh
  var catchUps = [];
  var live = window.chatappLive = {
    socket: null, onCatchUp: onCatchUp, showChatUnread: showChatUnread,
    pageChanged: pageChanged,
  };

  function readConfig() {
    var el = main.querySelector(".live-config");
    if (!el) return null;
    var chatId = el.getAttribute("data-chat-id");
    return {
      events: (el.getAttribute("data-live") || "").split(/\s+/).filter(Boolean),
      url: el.getAttribute("data-url") || location.pathname + location.search,
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
    indicator.textContent = t(state);  // "live", "offline", "connecting"
    indicator.title = t(state + "_title");
  }

  /* --- refreshing the page ------------------------------------------------------------------ */

  var timer = null;
  var busy = false;
  var again = false;
  var closed = false;
  var submitting = false;  // a form of this page was sent: its answer replaces the page

  function scheduleRefresh() {
    // A form showing what to correct stays as it is; sending it again brings the news.
    if (!cfg || main.querySelector(".errors li")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 60);  // events often come in bursts: one fetch for all
  }

  function refresh() {
    if (closed || submitting) return;
    if (busy) { again = true; return; }
    busy = true;
    var sync = beginSync();  // the fresh page's badge counts what came until it was made
    var fresh = null;
    // X-Live-Refresh: the page leaves flashed messages for the next page the person opens.
    fetch(cfg.url, {
      credentials: "same-origin", headers: { Accept: "text/html", "X-Live-Refresh": "1" },
    })
      .then(function (response) {
        var landed = new URL(response.url, location.href);
        if (response.status === 404 && cfg.chatId !== null) {
          leave(t("chat_unavailable", { name: cfg.chatName }));
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
        if (html === null || closed) return;
        fresh = new DOMParser().parseFromString(html, "text/html");
        if (submitting || !fresh.getElementById("main")) return;
        if (fresh.title) setBaseTitle(fresh.title);  // a chat renamed
        swap(fresh.getElementById("main"));
      })
      .catch(function () { /* offline: the reconnect refreshes */ })
      .then(function () {
        endSync(sync, fresh && snapshotOf(fresh.querySelector("[data-unread-badge]")));
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

  /* --- the unread count: the badge of "Chats" and the tab title ------------------------------ */

  // chat id -> {count, top}: messages from others waiting there, and the highest seq already
  // counted (a live message counts only above it, so none counts twice).
  var unread = new Map();
  var open = null;           // {chatId, count}: the chat page's own chat, as it counts it
  var pending = [];          // events that came while fresh counts were on their way
  var syncing = 0;
  var UNREAD_PREFIX = /^\(\d+\)\s+/;
  var baseTitle = document.title.replace(UNREAD_PREFIX, "");

  /** The counts a page's badge was rendered with: {chat id: [count, highest seq]}. */
  function snapshotOf(el) {
    if (!el) return null;
    try {
      var counts = JSON.parse(el.getAttribute("data-unread") || "{}");
      return counts && typeof counts === "object" ? counts : null;
    } catch (e) {
      return null;
    }
  }

  function adopt(counts) {
    unread.clear();
    Object.keys(counts).forEach(function (id) {
      var c = counts[id];
      if (Array.isArray(c)) unread.set(Number(id), { count: Number(c[0]) || 0, top: Number(c[1]) || 0 });
    });
  }

  // Fresh counts from the server (a page's badge, or the chat list API) replace the ones
  // here; what came while they were on their way is counted again on top of them.
  function beginSync() {
    syncing += 1;
    return pending.length;
  }

  function endSync(from, counts) {
    syncing -= 1;
    if (counts) {
      adopt(counts);
      pending.slice(from).forEach(function (e) { count(e[0], e[1]); });
    }
    if (!syncing) pending = [];
    showUnread();
  }

  var resyncing = false;
  var resyncAgain = false;
  function resync() {
    if (resyncing) { resyncAgain = true; return; }
    resyncing = true;
    var sync = beginSync();
    fetch(badge.getAttribute("data-sync-url"), {
      credentials: "same-origin", headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        var counts = null;
        if (body && Array.isArray(body.chats)) {
          counts = {};
          body.chats.forEach(function (c) { counts[c.chat_id] = [c.unread, c.last_seq]; });
        }
        return counts;
      }, function () { return null; })
      .then(function (counts) {
        endSync(sync, counts);
        resyncing = false;
        if (resyncAgain) { resyncAgain = false; resync(); }
      });
  }

  /** Count an event that changes what waits unread. */
  function count(name, payload) {
    if (name === "message_created") {
      var m = payload.message;
      if (!m || !m.sender) return;
      if (m.sender.user_id === userId) {
        readUpTo(m.chat_id, m.seq);  // sending counts as reading
      } else if (m.msg_type !== "system") {
        var had = unread.get(m.chat_id) || { count: 0, top: 0 };
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
    var had = unread.get(chatId);
    if (!had || seq >= had.top) {
      unread.set(chatId, { count: 0, top: Math.max(seq, had ? had.top : 0) });
    } else if (had.count > 0) {
      resync();  // read part of it: the server knows how much is left
    }
  }

  function unreadTotal() {
    var total = 0;
    unread.forEach(function (u, chatId) { if (!open || chatId !== open.chatId) total += u.count; });
    return total + (open ? open.count : 0);
  }

  function showUnread() {
    var total = unreadTotal();
    badge.hidden = total === 0;
    badge.firstElementChild.textContent = total > 99 ? "99+" : String(total);
    badge.lastElementChild.textContent = " " + t("unread_messages", { count: total });
    document.title = total > 0 ? "(" + total + ") " + baseTitle : baseTitle;
  }

  function setBaseTitle(title) {
    baseTitle = String(title).replace(UNREAD_PREFIX, "");
    showUnread();
  }

  /** The chat page's count for its own chat: what came while the person was not looking. */
  function showChatUnread(chatId, n) {
    open = { chatId: chatId, count: Math.max(0, Number(n) || 0) };
    showUnread();
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
    var m = payload && payload.message;
    if (!m || !m.sender || m.msg_type === "system" || m.sender.user_id === userId) return;
    if (document.visibilityState !== "hidden" || !canNotify()) return;
    if (window.Notification.permission !== "granted") return;
    var body = m.file ? m.file.name : m.msg_text || "";
    var shown;
    try {
      shown = new window.Notification(t("new_message_from", { name: m.sender.user_name }), {
        body: body.length > 200 ? body.slice(0, 199) + "…" : body,
        tag: "chatapp-message-" + m.msg_id,
        icon: m.sender.avatar_url || undefined,
      });
    } catch (e) {
      return;  // browsers that only notify from a service worker (Chrome on Android)
    }
    shown.onclick = function () {
      window.focus();
      shown.close();
      if (!cfg || cfg.chatId !== m.chat_id) location.assign(chatUrl(m.chat_id));
    };
  }

  // "Enable notifications" in the top bar while the browser has not been asked yet.
  function makeNotifyButton() {
    if (!canNotify() || window.Notification.permission !== "default"
        || typeof window.Notification.requestPermission !== "function") return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-ghost btn-sm notify-toggle";
    button.setAttribute("data-testid", "enable-notifications");
    button.title = t("enable_notifications_hint");
    button.append(bellIcon());
    var label = document.createElement("span");
    label.className = "notify-label";
    label.textContent = t("enable_notifications");
    button.append(label);
    var asking = false;
    button.addEventListener("click", function () {
      if (asking) return;
      asking = true;
      var asked;
      try {
        asked = window.Notification.requestPermission();
      } catch (e) {
        asked = null;
      }
      Promise.resolve(asked).then(function (answer) {
        answer = answer || window.Notification.permission;
        if (answer === "granted") {
          button.remove();
        } else if (answer === "denied") {
          button.remove();
          showNotice(t("notifications_blocked"));
        } else {
          asking = false;  // dismissed: ask again on the next click
        }
      });
    });
    indicator.after(button);
  }

  function bellIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "2");
    svg.setAttribute("stroke-linecap", "round");
    svg.setAttribute("stroke-linejoin", "round");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.94 1.94 0 0 0 3.4 0");
    svg.append(path);
    return svg;
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
      dot.title = t(online ? "online" : "offline");
      var label = dot.querySelector(".visually-hidden");
      if (label) label.textContent = dot.title;
    });
  }

  function handle(name, payload) {
    if (closed) return;
    payload = payload || {};
    if (syncing) pending.push([name, payload]);
    count(name, payload);
    showUnread();
    // While our own form is on its way, its events are about it: the answer shows the result
    // (and a refresh now could take the message the server keeps for that answer).
    if (!cfg || submitting || cfg.events.indexOf(name) < 0) return;
    // Others reading changes nothing shown here; our own reading (another tab) does.
    if (name === "messages_read" && payload.user_id !== userId) return;
    if (cfg.chatId !== null) {
      var chatId = chatOf(payload);
      if (chatId !== null && chatId !== cfg.chatId) return;
      if (name === "chat_dissolved") {
        leave(t("chat_dissolved", { name: cfg.chatName }));
        return;
      }
      if (name === "member_removed" && payload.user_id === userId) {
        leave(t(payload.reason === "left" ? "you_left" : "you_were_removed",
          { name: cfg.chatName }));
        return;
      }
    }
    scheduleRefresh();
  }

  /* --- catch-up ---------------------------------------------------------------------------- */

  /** Call fn(reconnected) once the socket is connected, and again whenever what it missed
   * must be fetched: after every reconnect, and when live events were lost. Returns the
   * function that stops it (a conversation closed without a page load). */
  function onCatchUp(fn) {
    catchUps.push(fn);
    if (live.socket && live.socket.connected) {
      setTimeout(function () { if (catchUps.indexOf(fn) !== -1) fn(false); }, 0);
    }
    return function () {
      var at = catchUps.indexOf(fn);
      if (at !== -1) catchUps.splice(at, 1);
    };
  }

  /** switcher.js put another chat in the page without loading it: read what the page now
   * shows (its live config) and its title. */
  function pageChanged(title) {
    cfg = readConfig() || cfg;
    open = null;
    setBaseTitle(title || document.title);
  }

  function catchUp(reconnected) {
    if (reconnected) {  // events sent while away are not replayed
      scheduleRefresh();
      resync();
    }
    catchUps.forEach(function (fn) { fn(reconnected); });
  }

  /* --- start ------------------------------------------------------------------------------ */

  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;
    submitting = true;
    setTimeout(function () { submitting = false; }, 10000);  // the answer never came
  });

  showStoredNotice();
  if (cfg && location.pathname + location.search !== cfg.url) {
    // A form re-rendered after a POST: reloading should show the page, not post again.
    history.replaceState(history.state, "", cfg.url);
  }
  restoreTimeline(null);

  var indicator = makeIndicator();
  makeNotifyButton();
  adopt(snapshotOf(badge) || {});
  showUnread();
  if (typeof window.io !== "function") {
    setState("offline");
    return;
  }
  setState("connecting");
  // Same origin; the session cookie says who we are. WebSocket first: one connection, which
  // needs no sticky load balancer; polling only where WebSocket cannot get through.
  var socket = window.io({ transports: ["websocket", "polling"], tryAllTransports: true });
  live.socket = window.chatappSocket = socket;
  var connectedBefore = false;
  socket.on("connect", function () {
    setState("live");
    catchUp(connectedBefore);
    connectedBefore = true;
  });
  socket.on("disconnect", function () { if (!closed) setState("offline"); });
  socket.on("connect_error", function () { setState("offline"); });
  socket.io.on("reconnect_attempt", function () {
    if (indicator.getAttribute("data-state") !== "offline") setState("connecting");
  });
  socket.on("session_ended", function () {
    // Logged out elsewhere, password changed or account disabled. If this tab's own cookie
    // still holds a session (it changed the password), reconnect with it; else log in again.
    // A form this page sent (its own "Log out") brings the next page itself.
    if (closed || submitting) return;
    fetch("/api/me", { credentials: "same-origin" }).then(function (response) {
      if (response.ok) { socket.connect(); return; }
      if (closed || submitting) return;
      closed = true;
      location.assign(cfg ? cfg.url : location.href);  // to log in, and back here after
    }, function () { setState("offline"); });
  });
  // The server's message queue was down: live events may have been lost meanwhile.
  socket.on("catch_up_needed", function () { catchUp(true); });
  socket.on("presence_changed", showPresence);
  socket.on("message_created", notify);
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
