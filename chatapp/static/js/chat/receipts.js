/* chatapp lists opened under a message on demand (used by conversation.js): who has read one
 * of your messages (kept current while open: a `messages_read` event re-fetches every open
 * list), and the earlier versions of an edited message (message-actions.js). */
import { getJson } from "../api.js";
import * as View from "./view.js";

/**
 * Lists of one kind under messages: ``url(msgId)`` answers what ``render(msgId, answer)``
 * draws; ``pop`` marks the drawn list and ``toggle`` the button that opens it (attribute
 * selectors). ``onError(error)`` shows a failure.
 */
export function popLists({ url, render, pop, toggle, onError }) {
  const open = new Map();  // msg_id -> the message's node showing its list

  function show(msgId) {
    getJson(url(msgId)).then((answer) => {
      const li = open.get(msgId);
      if (!li || !li.isConnected) {
        open.delete(msgId);
        return;
      }
      const old = li.querySelector(pop);
      const fresh = render(msgId, answer);
      if (old) old.replaceWith(fresh); else li.querySelector(".msg-body").append(fresh);
    }).catch(onError);
  }

  return {
    isOpen: (msgId) => open.has(msgId),
    /** Open or close the list under message ``m`` (node ``li``), from its toggle button. */
    toggle(m, li, buttonEl) {
      if (open.has(m.msg_id)) {
        open.delete(m.msg_id);
        const list = li.querySelector(pop);
        if (list) list.remove();
        buttonEl.setAttribute("aria-expanded", "false");
        return;
      }
      open.set(m.msg_id, li);
      buttonEl.setAttribute("aria-expanded", "true");
      show(m.msg_id);
    },
    /** Fetch the open lists again (``msgId``: only that message's, now drawn as ``li``). */
    refresh(msgId, li) {
      if (msgId === undefined) {
        open.forEach((_, id) => show(id));
      } else if (open.has(msgId)) {
        open.set(msgId, li);
        show(msgId);
      }
    },
    /** Stop showing message ``msgId``'s list (it has none any more). */
    forget: (msgId) => open.delete(msgId),
    /** Close every open list (Escape); true if one was open. The focus goes to its toggle. */
    closeAll() {
      const focused = document.activeElement;
      let closed = false;
      open.forEach((li, msgId) => {
        const list = li.querySelector(pop);
        if (list) list.remove();
        const button = li.querySelector(toggle);
        if (button) {
          button.setAttribute("aria-expanded", "false");
          if (li.contains(focused)) button.focus();
        }
        open.delete(msgId);
        closed = true;
      });
      return closed;
    },
  };
}

/** Who has read each message: ``messagesUrl`` is the chat's messages API. */
export function receiptLists(messagesUrl, onError) {
  return popLists({
    url: (msgId) => messagesUrl + "/" + msgId + "/receipts", render: View.receiptsList,
    pop: "[data-receipts-pop]", toggle: "[data-receipts]", onError: onError,
  });
}
