/* chatapp read receipts: who has read one of your messages, opened under it on demand and
 * kept current while open (a `messages_read` event re-fetches every open list). */
import { getJson } from "../api.js";
import * as View from "./view.js";

/** ``messagesUrl`` is the chat's messages API; ``onError(error)`` shows a failure. */
export function receiptLists(messagesUrl, onError) {
  const open = new Map();  // msg_id -> the message's node showing who read it

  function show(msgId) {
    getJson(messagesUrl + "/" + msgId + "/receipts").then((answer) => {
      const li = open.get(msgId);
      if (!li || !li.isConnected) {
        open.delete(msgId);
        return;
      }
      const old = li.querySelector("[data-receipts-pop]");
      const fresh = View.receiptsList(msgId, answer);
      if (old) old.replaceWith(fresh); else li.querySelector(".msg-body").append(fresh);
    }).catch(onError);
  }

  return {
    isOpen: (msgId) => open.has(msgId),
    /** Open or close the list under message ``m`` (node ``li``), from its toggle button. */
    toggle(m, li, buttonEl) {
      if (open.has(m.msg_id)) {
        open.delete(m.msg_id);
        const list = li.querySelector("[data-receipts-pop]");
        if (list) list.remove();
        buttonEl.setAttribute("aria-expanded", "false");
        return;
      }
      open.set(m.msg_id, li);
      buttonEl.setAttribute("aria-expanded", "true");
      show(m.msg_id);
    },
    /** Someone read something: fetch the open lists again. */
    refresh() {
      open.forEach((_, msgId) => show(msgId));
    },
    /** Close every open list (Escape); true if one was open. The focus goes to its toggle. */
    closeAll() {
      const focused = document.activeElement;
      let closed = false;
      open.forEach((li, msgId) => {
        const list = li.querySelector("[data-receipts-pop]");
        if (list) list.remove();
        const toggle = li.querySelector("[data-receipts]");
        if (toggle) {
          toggle.setAttribute("aria-expanded", "false");
          if (li.contains(focused)) toggle.focus();
        }
        open.delete(msgId);
        closed = true;
      });
      return closed;
    },
  };
}
