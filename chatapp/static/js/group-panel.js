/* chatapp: a group's details (members with roles and presence, settings) in a side panel of
 * the chat page.
 *
 * The server draws the panel (templates/chats/_group_details.html, the same as the settings
 * page) hidden in the conversation's pane; the header's "Details" link, a link to the settings
 * page without scripts, opens and closes it here. refresh.js swaps the panel's content
 * (#group-details) and the header on membership events; switcher.js swaps the whole pane on a
 * change of chat. Whether the panel is open is kept for the tab's session (sessionStorage),
 * so it stays open across those swaps, chat changes and the settings forms' return.
 * On a desktop it is a column beside the conversation; on narrower screens it lies over it
 * (CSS). Escape closes it and gives the focus back to the Details button.
 *
 * Its forms (rename, add people, roles, remove, dissolve: each carries back=chat) are sent
 * with fetch, so the conversation stays as it is: the answer is the chat page, whose header,
 * panel and chat state replace the ones here (refresh.js), with the server's message (or the
 * form's errors) shown in the panel. A form whose answer is another page (the group was
 * dissolved) goes there, taking the message along. Without scripts the forms post as usual.
 */
import { flashNext } from "./flash.js";
import { adopt } from "./refresh.js";

var KEY = "chatapp.groupPanel";

function panel() { return document.querySelector("[data-group-panel]"); }
function toggle() { return document.querySelector("[data-group-panel-toggle]"); }

function remembered() {
  try { return sessionStorage.getItem(KEY) === "open"; } catch (e) { return false; }
}

function remember(open) {
  try {
    if (open) sessionStorage.setItem(KEY, "open"); else sessionStorage.removeItem(KEY);
  } catch (e) { /* storage refused: the panel just starts closed */ }
}

// The header is redrawn by live refreshes: its button follows the panel again.
function sync() {
  var button = toggle();
  var box = panel();
  if (!button || !box) return;
  button.setAttribute("role", "button");
  button.setAttribute("aria-expanded", box.hidden ? "false" : "true");
}

function open(focus) {
  var box = panel();
  if (!box) return;
  box.hidden = false;
  remember(true);
  sync();
  if (focus) box.querySelector("#group-panel-h").focus({ preventScroll: true });
}

function close(focusButton) {
  var box = panel();
  if (!box || box.hidden) return;
  box.hidden = true;
  remember(false);
  sync();
  var button = toggle();
  if (focusButton && button) button.focus();
}

function chatOf(doc) {
  const config = doc.querySelector(".live-config[data-chat-id]");
  return config ? config.getAttribute("data-chat-id") : null;
}

function flashesOf(doc) {
  return Array.from(doc.querySelectorAll("#main .flashes .flash"), (p) => p.textContent.trim())
    .filter(Boolean);
}

// The messages of a form's answer, in the panel where the form was (a status line).
function say(texts) {
  const box = panel();
  if (!box || !texts.length) return;
  let line = box.querySelector("[data-panel-status]");
  if (!line) {
    line = document.createElement("p");
    line.className = "flash flash-info panel-status";
    line.setAttribute("role", "status");
    line.setAttribute("data-panel-status", "");
    line.setAttribute("data-testid", "panel-status");
    box.querySelector(".group-panel-head").after(line);
  }
  line.textContent = texts.join(" ");
}

const sending = new WeakSet();  // forms on their way: a second click sends nothing more

function onSubmit(event) {
  const form = event.target;
  if (event.defaultPrevented || !form.matches || !panel() || !panel().contains(form)
      || !form.querySelector('input[name="back"][value="chat"]')) return;
  event.preventDefault();
  if (sending.has(form)) return;
  sending.add(form);
  const body = new FormData(form);
  if (event.submitter && event.submitter.name) body.append(event.submitter.name, event.submitter.value);
  fetch(form.action, { method: "POST", body, credentials: "same-origin",
    headers: { Accept: "text/html" } })
    .then((response) => response.text().then((html) => ({ response, html })))
    .then(({ response, html }) => {
      const doc = new DOMParser().parseFromString(html, "text/html");
      if (!doc.querySelector("[data-group-panel]") || chatOf(doc) !== chatOf(document)) {
        if (!response.redirected) {  // an error page: show it the usual way
          form.submit();
          return;
        }
        const texts = flashesOf(doc);
        if (texts.length) flashNext(texts.join(" "));  // the group is gone: its message goes along
        location.assign(response.url);
        return;
      }
      const texts = flashesOf(doc);
      adopt(doc);
      say(texts);
      const invalid = panel().querySelector("[aria-invalid=true]");
      if (invalid) invalid.focus(); else if (texts.length) panel().querySelector("#group-panel-h").focus();
    })
    .catch(() => form.submit())  // no answer: send it the usual way
    .then(() => sending.delete(form));
}

/** Open and close the panel from the Details button, and keep it open across swaps. */
export function install() {
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target || event.defaultPrevented) return;
    if (target.closest("[data-group-panel-toggle]")) {
      if (!panel() || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey
          || event.altKey) return;  // a new tab: the settings page
      event.preventDefault();
      if (panel().hidden) open(true); else close(false);
    } else if (target.closest("[data-group-panel-close]")) {
      close(true);
    }
  });

  document.addEventListener("keydown", function (event) {
    var box = panel();
    if (!box || event.defaultPrevented) return;
    var target = event.target;
    if ((event.key === " " || event.key === "Spacebar") && target.matches
        && target.matches("[data-group-panel-toggle]")) {
      event.preventDefault();  // a button opens with Space too
      target.click();
      return;
    }
    if (event.key !== "Escape" || box.hidden || document.querySelector("dialog[open]")) return;
    var overlay = getComputedStyle(box).position !== "static";
    if (overlay || box.contains(target) || (target.matches && target.matches("[data-group-panel-toggle]"))) {
      event.preventDefault();
      close(true);
    }
  });

  function restore() {
    if (!panel()) return;
    if (!panel().hidden) remember(true);  // the server opened it: a form's errors are in it
    else if (remembered()) open(false);
    sync();
  }

  // Capturing, after confirm.js (which holds a form until confirmed), before anything else.
  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("chatapp:refreshed", sync);
  document.addEventListener("chatapp:navigated", restore);
  restore();
}
