/* chatapp message actions beside Recall (used by conversation.js): reactions (the picker and
 * the chips, `react` over the socket) and the earlier versions of an edited message, opened
 * under it on demand. Replying and editing happen in the composer (composer.js); the answers
 * come back as messages, which conversation.js keeps in its store like any other copy. */
import { popLists } from "./receipts.js";
import * as View from "./view.js";

/** ``app`` gives: chatId, messagesUrl, emit(name, payload, done), accept(message),
 * showError(error). */
export function messageActions(app) {
  const versions = popLists({
    url: (msgId) => app.messagesUrl + "/" + msgId + "/versions", render: View.versionsList,
    pop: "[data-versions-pop]", toggle: "[data-edited]", onError: app.showError,
  });
  let picker = null;  // {node, li, opener} of the open reaction picker

  function react(m, emoji, on) {
    app.emit("react", { chat_id: app.chatId, msg_id: m.msg_id, emoji: emoji, on: on }, (answer) => {
      if (answer.ok) app.accept(answer.message); else app.showError(answer.error);
    });
  }

  function closePicker(refocus) {
    if (!picker) return false;
    const was = picker;
    picker = null;
    was.node.remove();
    was.opener.setAttribute("aria-expanded", "false");
    if (refocus && was.opener.isConnected) was.opener.focus();
    return true;
  }

  /** Open (or close) the emoji picker under message ``m`` from its React button. */
  function togglePicker(m, li, opener) {
    const same = picker && picker.li === li;
    closePicker(false);
    if (same) return;
    const node = View.reactionPicker((emoji) => {
      const mine = (m.reactions || []).some((r) => r.emoji === emoji
        && r.users.some((u) => u.user_id === app.meId));
      closePicker(true);
      if (!mine) react(m, emoji, true);
    });
    li.querySelector(".msg-body").append(node);
    opener.setAttribute("aria-expanded", "true");
    picker = { node: node, li: li, opener: opener };
    node.querySelector("button").focus();
  }

  function onDocumentClick(event) {
    if (picker && !picker.node.contains(event.target) && event.target !== picker.opener) {
      closePicker(false);
    }
  }

  /** A message was drawn anew (``li``): an open list of its versions moves to it, fetched
   * again (an edit added one). */
  function redrawn(m, li) {
    if (!m.edited_at || m.recalled) versions.forget(m.msg_id); else versions.refresh(m.msg_id, li);
  }

  document.addEventListener("click", onDocumentClick, true);
  return {
    react: react,
    togglePicker: togglePicker,
    toggleVersions: versions.toggle,
    versionsOpen: versions.isOpen,
    redrawn: redrawn,
    /** Escape: close the picker, else every list of versions; true if something closed. */
    closeAll: () => closePicker(true) || versions.closeAll(),
    stop() {
      document.removeEventListener("click", onDocumentClick, true);
      closePicker(false);
    },
  };
}
