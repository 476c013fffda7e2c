/* chatapp connection: the one Socket.IO connection of a tab, and when to catch up.
 *
 * On every signed-in page (page.js starts it) it opens the socket (same origin; the session
 * cookie says who we are), shows its state in the top bar ("Live", "Connecting…", "Offline";
 * data-transport names websocket or polling), and calls what other modules registered with
 * onCatchUp(fn) once connected, and again after every reconnect or when the server says live
 * events were lost (catch_up_needed): events sent while away are not replayed, so each owner
 * fetches what it missed (conversation.js its messages, unread.js the counts, refresh.js the
 * page). fn(reconnected) gets false after the first connect.
 *
 * It also knows whether the page is going away (a form of its own was sent, or a script moves
 * to another page), so that nothing refreshes or reconnects a page about to be replaced.
 */
import { t } from "./strings.js";

/** The socket, or null (signed out, or the Socket.IO client did not load). */
export let socket = null;
/** The top bar's connection state element. */
export let indicator = null;

const catchUps = [];
let closed = false;
let submitting = false;  // a form of this page was sent: its answer replaces the page

/** The page is being replaced: a form of its own was sent, or a script left it. */
export function leaving() {
  return closed || submitting;
}

/** Go to ``url`` for good: nothing of this page reacts any more. */
export function navigate(url) {
  closed = true;
  location.assign(url);
}

/** Call ``fn(payload)`` on each ``name`` event while the page stays. Returns the function
 * that stops it. */
export function on(name, fn) {
  if (!socket) return () => {};
  const handler = (payload) => { if (!closed) fn(payload || {}); };
  socket.on(name, handler);
  return () => socket.off(name, handler);
}

/** Call fn(reconnected) once the socket is connected, and again whenever what it missed
 * must be fetched. Returns the function that stops it (a conversation closed without a page
 * load). */
export function onCatchUp(fn) {
  catchUps.push(fn);
  if (socket && socket.connected) {
    setTimeout(() => { if (catchUps.indexOf(fn) !== -1) fn(false); }, 0);
  }
  return () => {
    const at = catchUps.indexOf(fn);
    if (at !== -1) catchUps.splice(at, 1);
  };
}

function catchUp(reconnected) {
  catchUps.slice().forEach((fn) => fn(reconnected));
}

function makeIndicator() {
  const el = document.createElement("span");
  el.className = "live-status";
  el.setAttribute("role", "status");
  el.setAttribute("data-testid", "live-status");
  const nav = document.querySelector(".topbar .topnav");
  if (nav) nav.prepend(el); else document.body.append(el);
  return el;
}

function setState(state) {
  indicator.setAttribute("data-state", state);
  indicator.textContent = t(state);  // "live", "offline", "connecting"
  indicator.title = t(state + "_title");
}

/** Open the connection (signed-in pages only: the top bar's unread badge says who). */
export function start() {
  if (indicator || !document.querySelector("[data-unread-badge]")) return;
  document.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    submitting = true;
    setTimeout(() => { submitting = false; }, 10000);  // the answer never came
  });
  indicator = makeIndicator();
  if (typeof window.io !== "function") {
    setState("offline");
    return;
  }
  setState("connecting");
  // WebSocket first: one connection, which needs no sticky load balancer; polling only where
  // WebSocket cannot get through.
  const io = window.io({ transports: ["websocket", "polling"], tryAllTransports: true });
  socket = io;
  let connectedBefore = false;
  const showTransport = () => {
    if (io.io.engine) indicator.setAttribute("data-transport", io.io.engine.transport.name);
  };
  io.on("connect", () => {
    setState("live");
    showTransport();
    if (io.io.engine) io.io.engine.once("upgrade", showTransport);
    catchUp(connectedBefore);
    connectedBefore = true;
  });
  io.on("disconnect", () => { if (!closed) setState("offline"); });
  io.on("connect_error", () => setState("offline"));
  io.io.on("reconnect_attempt", () => {
    if (indicator.getAttribute("data-state") !== "offline") setState("connecting");
  });
  io.on("session_ended", () => {
    // Logged out elsewhere, password changed or account disabled. If this tab's own cookie
    // still holds a session (it changed the password), reconnect with it; else log in again.
    // A form this page sent (its own "Log out") brings the next page itself.
    if (leaving()) return;
    fetch("/api/me", { credentials: "same-origin" }).then((response) => {
      if (response.ok) { io.connect(); return; }
      if (!leaving()) navigate(location.href);  // to log in, and back here after
    }, () => setState("offline"));
  });
  // The server's message queue was down: live events may have been lost meanwhile.
  io.on("catch_up_needed", () => catchUp(true));
  window.addEventListener("pagehide", () => { closed = true; io.close(); });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    closed = false;  // back from the browser's page cache: reconnect, which catches up
    submitting = false;
    io.connect();
  });
}
