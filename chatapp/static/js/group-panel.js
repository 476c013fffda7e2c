/* chatapp: a group's details (members with roles and presence, settings) in a side panel of
 * the chat page.
 *
 * The server draws the panel (templates/chats/_group_details.html, the same as the settings
 * page) hidden in the conversation's pane; the header's "Details" link, a link to the settings
 * page without scripts, opens and closes it here. live.js swaps the panel's content
 * (#group-details) and the header on membership events; switcher.js swaps the whole pane on a
 * change of chat. Whether the panel is open is kept for the tab's session (sessionStorage),
 * so it stays open across those swaps, chat changes and the settings forms' return.
 * On a desktop it is a column beside the conversation; on narrower screens it lies over it
 * (CSS). Escape closes it and gives the focus back to the Details button.
 */
(function () {
  "use strict";

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
    if (remembered()) open(false);
    sync();
  }

  document.addEventListener("chatapp:refreshed", sync);
  document.addEventListener("chatapp:navigated", restore);
  restore();
})();
