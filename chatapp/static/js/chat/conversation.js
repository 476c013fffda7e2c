/* chatapp conversation: the live client of the chat on screen.
 *
 * The page carries the chat (#chat-state) and a first page of messages (#chat-page) as JSON;
 * the server never draws messages. They are kept in a store (store.js: once per msg_id, in
 * seq order) fed from that page, `message_created` events, acks, history pages fetched while
 * scrolling and catch-up after a reconnect (docs/api.md, "Ordering and catch-up"). The DOM is
 * then brought in line with that order, moving only what changed, so players keep playing.
 *
 * Each concern has its module: drawing (view.js), the composer and the messages on their way
 * (composer.js), who is typing (typing.js), read receipts (receipts.js). The socket is
 * connection.js's (one per tab), which also decides when to catch up (onCatchUp). The unread
 * badge and the tab title are unread.js's; this conversation tells it how many messages of its
 * own chat came unread: while the tab is hidden or scrolled away.
 */
import { getJson, sendJson } from "../api.js";
import * as connection from "../connection.js";
import { confirm } from "../confirm.js";
import { errorText, t } from "../strings.js";
import { showChatUnread } from "../unread.js";
import { composer } from "./composer.js";
import { forwarder } from "./forward.js";
import { messageActions } from "./message-actions.js";
import { pinsPanel } from "./pins.js";
import { receiptLists } from "./receipts.js";
import { messageStore } from "./store.js";
import { typingLine } from "./typing.js";
import * as View from "./view.js";

let stopCurrent = null;

/** Run the conversation in the page's [data-chat] (stopping the one before). */
export function start() {
  stop();
  const root = document.querySelector("[data-chat]");
  if (root) stopCurrent = open(root);
}

/** End the conversation on screen: its listeners, timers and socket handlers (switcher.js
 * calls it before it puts another chat in its place). */
export function stop() {
  const running = stopCurrent;
  stopCurrent = null;
  if (running) running();
}

function open(root) {
  var SEND_TIMEOUT = 10000;     // ms without an ack before an event counts as failed
  var GROUP_GAP = 300;          // s: messages of one sender closer than this share a header
  var NEAR_EDGE = 300;          // px from the top (or bottom) that loads more history
  var AT_BOTTOM = 40;           // px from the bottom that counts as "at the bottom"

  var client = readJson("chat-state");
  var first = readJson("chat-page");
  var chat = client.chat;
  var chatId = chat.chat_id;
  var me = client.me;
  var socket = connection.socket;
  var clockSkew = client.now - Date.now() / 1000;  // the server's clock decides recall windows

  var ui = {
    timeline: root.querySelector("[data-timeline]"),
    list: root.querySelector("[data-messages]"),
    empty: root.querySelector("[data-empty]"),
    historyStatus: root.querySelector("[data-history-status]"),
    jump: root.querySelector("[data-jump]"),
    jumpLabel: root.querySelector("[data-jump-label]"),
    typing: root.querySelector("[data-typing]"),
    announcer: root.querySelector("[data-announcer]"),
    error: root.querySelector("[data-composer-error]"),
    composer: root.querySelector("[data-composer]"),
    closed: root.querySelector("[data-composer-closed]"),
    text: root.querySelector("[data-composer-text]"),
    counter: root.querySelector("[data-counter]"),
    files: root.querySelector("[data-file-input]"),
    attach: root.querySelector("[data-attach]"),
    dropZone: root.querySelector("[data-drop-zone]"),
    overlay: root.querySelector("[data-drop-overlay]"),
    context: root.querySelector("[data-composer-context]"),
    contextLabel: root.querySelector("[data-context-label]"),
    contextCancel: root.querySelector("[data-context-cancel]"),
  };

  /* --- state ------------------------------------------------------------------------------ */

  var store = messageStore(chatId);
  var sender = null;         // composer.js: the composer and the messages on their way
  var more = null;           // message-actions.js: reactions and earlier versions
  var forwarding = null;     // forward.js: choosing a chat to send a copy to
  var pins = null;           // pins.js: the list of pinned messages
  // The change position caught up to (docs/api.md, "Catching up on changes"): the page's,
  // then each answer's. Edits, recalls and reactions after it are asked for on reconnect.
  var lastChange = first.last_change || 0;
  var typing = typingLine(ui.typing, me.user_id);
  var receipts = receiptLists(client.urls.messages, showError);
  var members = new Map();   // user_id -> {user, privilege, read_seq}
  var days = new Map();      // day key -> its divider
  var marker = View.newMarker();
  var markerSeq = null;      // the first message that arrived unseen; the marker goes above it
  var moreBefore = first.has_more_before;
  var moreAfter = first.has_more_after;  // true while showing an older stretch (?around=)
  var myReadSeq = first.read_seq;
  var readSent = first.read_seq;
  var atBottom = true;
  var unseen = 0;
  var refocus = null;        // a message drawn anew while it had the keyboard focus

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function setMembers(list) {
    list.forEach(function (m) {
      var had = members.get(m.user.user_id);
      members.set(m.user.user_id, {
        user: m.user, privilege: m.privilege,
        read_seq: Math.max(m.read_seq || 0, had ? had.read_seq : 0),
      });
    });
    var ids = new Set(list.map(function (m) { return m.user.user_id; }));
    members.forEach(function (_, id) { if (!ids.has(id)) members.delete(id); });
  }

  /** Keep one copy of a message, drawn; a recall draws it anew. True if shown differently now. */
  function upsert(m) {
    if (m && m.client_msg_id && m.chat_id === chatId && m.sender.user_id === me.user_id) {
      sender.settle(m.client_msg_id);
    }
    var had = m && store.get(m.msg_id);
    var focused = Boolean(had && had.node && had.node.contains(document.activeElement));
    var record = store.put(m);
    if (!record) return false;
    record.node = View.message(record.m, footContext(record.m));
    if (more) more.redrawn(record.m, record.node);
    if (focused) refocus = record.node;
    return true;
  }

  function showError(error) {
    sender.showError(errorText(error));
  }

  /* --- drawing ------------------------------------------------------------------------------ */

  function sameGroup(a, b) {
    return a && b && a.msg_type !== "system" && b.msg_type !== "system"
      && a.sender.user_id === b.sender.user_id && b.create_time - a.create_time < GROUP_GAP;
  }

  function dividerFor(seconds) {
    var key = View.dayKey(seconds);
    if (!days.has(key)) days.set(key, View.dayDivider(seconds));
    return days.get(key);
  }

  /** Bring the list in line with `order` and the messages on their way: add what is new,
   * drop what is gone, and leave every other node where it is (a playing video keeps
   * playing). */
  function render() {
    var wanted = [];
    var previous = null;
    var day = null;
    var markerPlaced = false;
    store.records().forEach(function (record) {
      var m = record.m;
      var key = View.dayKey(m.create_time);
      if (key !== day) {
        wanted.push(dividerFor(m.create_time));
        day = key;
        previous = null;
      }
      if (markerSeq !== null && !markerPlaced && m.seq >= markerSeq) {
        wanted.push(marker);
        markerPlaced = true;
        previous = null;
      }
      record.node.classList.toggle("msg-cont", Boolean(sameGroup(previous, m)));
      wanted.push(record.node);
      previous = m;
    });
    sender.pending.forEach(function (p) {
      var cont = previous && previous.msg_type !== "system" && previous.sender.user_id === me.user_id;
      p.node.classList.toggle("msg-cont", Boolean(cont));
      wanted.push(p.node);
      previous = { msg_type: "text", sender: me };
    });
    reconcile(ui.list, wanted);
    ui.empty.hidden = wanted.length > 0;
    if (refocus) {  // the message with the focus was recalled: stay on it, or in the timeline
      var target = refocus.isConnected && refocus.querySelector("button");
      (target || ui.timeline).focus({ preventScroll: true });
      refocus = null;
    }
    updateTitle();
  }

  function reconcile(parent, wanted) {
    var keep = new Set(wanted);
    Array.prototype.slice.call(parent.children).forEach(function (node) {
      if (!keep.has(node)) node.remove();
    });
    var current = parent.firstElementChild;
    wanted.forEach(function (node) {
      if (node === current) current = current.nextElementSibling;
      else parent.insertBefore(node, current);
    });
  }

  /* --- read receipts and recall ---------------------------------------------------------- */

  function receiptOf(m) {
    if (m.sender.user_id !== me.user_id || m.msg_type === "system" || m.recalled) return null;
    var others = [];
    members.forEach(function (member, id) { if (id !== me.user_id) others.push(member); });
    if (!others.length) return null;
    if (chat.is_private) return { kind: "private", read: others[0].read_seq >= m.seq };
    var unread = others.filter(function (member) { return member.read_seq < m.seq; }).length;
    return { kind: "group", unread: unread };
  }

  function canRecall(m) {
    if (m.msg_type === "system" || m.recalled) return false;
    if (!chat.is_private && (chat.privilege === "owner" || chat.privilege === "admin")) return true;
    var age = Date.now() / 1000 + clockSkew - m.create_time;
    return m.sender.user_id === me.user_id && age < client.recall_window;
  }

  function canEdit(m) {
    var age = Date.now() / 1000 + clockSkew - m.create_time;
    return m.msg_type === "text" && !m.recalled && m.sender.user_id === me.user_id
      && age < client.edit_window && chat.can_send !== false;
  }

  /** Whom "@" offers in the composer: the other members, and everyone (a group's owner and
   * admins only). */
  function mentionable() {
    var people = [];
    members.forEach(function (member, id) { if (id !== me.user_id) people.push(member.user); });
    people.sort(function (a, b) { return a.user_name.localeCompare(b.user_name); });
    if (!chat.is_private && (chat.privilege === "owner" || chat.privilege === "admin")) {
      people.push({ user_id: "all", user_name: t("everyone") });
    }
    return people;
  }

  function canPin(m) {
    if (m.msg_type === "system" || m.recalled) return false;
    return chat.is_private || chat.privilege === "owner" || chat.privilege === "admin";
  }

  function pin(m, buttonEl) {
    buttonEl.setAttribute("aria-disabled", "true");
    emit("pin_message", { chat_id: chatId, msg_id: m.msg_id, on: !m.pinned_at }, function (answer) {
      buttonEl.removeAttribute("aria-disabled");
      if (answer.ok) onChanged({ message: answer.message }); else showError(answer.error);
    });
  }

  function footContext(m) {
    var live = m.msg_type !== "system" && !m.recalled && chat.can_send !== false;
    return {
      meId: me.user_id, receipt: receiptOf(m), canRecall: canRecall(m),
      canReply: live, canReact: live, canEdit: canEdit(m), canPin: canPin(m), onPin: pin,
      receiptsOpen: receipts.isOpen(m.msg_id), onRecall: recall, onReceipts: receipts.toggle,
      versionsOpen: more ? more.versionsOpen(m.msg_id) : false,
      onReply: function (message) { sender.replyTo(message); },
      onEdit: function (message) { sender.edit(message); },
      onPicker: function (message, li, b) { more.togglePicker(message, li, b); },
      onReact: function (message, emoji, on) { more.react(message, emoji, on); },
      onVersions: function (message, li, b) { more.toggleVersions(message, li, b); },
      onQuote: showQuoted,
      nameOf: function (id) { var member = members.get(id); return member ? member.user.user_name : null; },
      canForward: m.msg_type !== "system" && !m.recalled,
      onForward: function (message, b) { forwarding.open(message, b); },
    };
  }

  /** A message changed (an edit, reactions, a recall: an event or an ack): draw it anew. */
  function onChanged(payload) {
    var m = payload && payload.message;
    if (!m || m.chat_id !== chatId) return;
    if (upsert(m)) render();
    if (pins) pins.changed(m);
  }

  // What of this chat notifies me: sent at once; on failure the choice goes back.
  function onNotifyChange(event) {
    var select = event.target.closest && event.target.closest("[data-notify]");
    if (!select) return;
    var was = chat.notify;
    sendJson("PUT", client.urls.notify, { notify: select.value }).then(function (answer) {
      chat.notify = answer.notify;
    }).catch(function (error) {
      select.value = was;
      showError(error);
    });
  }

  /** Show the message a reply quotes: highlighted where it is, or in its stretch of history
   * when it is not loaded (as a search hit opens). */
  function showQuoted(q) {
    var record = store.get(q.msg_id);
    if (record && record.node && record.node.isConnected) {
      highlight(record.node);
      return;
    }
    historyPage({ around: q.msg_id, limit: client.history_page }).then(function (page) {
      store.clear();
      markerSeq = null;
      page.messages.forEach(upsert);
      moreBefore = page.has_more_before;
      moreAfter = page.has_more_after;
      render();
      var target = store.get(q.msg_id);
      if (target) highlight(target.node);
      updateJump();
    }).catch(showError);
  }

  function highlight(node) {
    ui.list.querySelectorAll(".msg-highlight").forEach(function (n) { n.classList.remove("msg-highlight"); });
    node.classList.add("msg-highlight");
    node.scrollIntoView({ block: "center" });
    var focusable = node.querySelector(".bubble");
    if (focusable) {
      focusable.tabIndex = -1;
      focusable.focus({ preventScroll: true });
    }
  }

  /** Redraw the line under messages (``which``, or all): read state, recall. */
  function refreshFeet(which) {
    store.records().forEach(function (record) {
      var m = record.m;
      if (m.msg_type !== "system" && (!which || which(m))) View.foot(record.node, m, footContext(m));
    });
  }

  // Recall one's own message, or remove someone else's (a group's owner or admin), once
  // confirmed: everyone sees a placeholder instead, and there is no undoing it.
  function recall(m, buttonEl) {
    if (buttonEl.getAttribute("aria-disabled") === "true") return;
    var mine = m.sender.user_id === me.user_id;
    var asked = confirm({
      question: mine ? t("confirm_recall") : t("confirm_remove_message", { name: m.sender.user_name }),
      detail: t("confirm_recall_detail"),
      yes: t(mine ? "recall" : "remove"),
    });
    asked.then(function (yes) { if (yes) sendRecall(m, buttonEl); });
  }

  function sendRecall(m, buttonEl) {
    buttonEl.setAttribute("aria-disabled", "true");  // not `disabled`, which drops the focus
    emit("recall_message", { chat_id: chatId, msg_id: m.msg_id }, function (answer) {
      buttonEl.removeAttribute("aria-disabled");
      if (answer.ok) {
        if (upsert(answer.message)) render();
      } else {
        showError(answer.error);
      }
    });
  }

  /* --- scrolling, the marker and the jump button ------------------------------------------- */

  function distanceFromBottom() {
    var t = ui.timeline;
    return t.scrollHeight - t.scrollTop - t.clientHeight;
  }

  function scrollToBottom() {
    ui.timeline.scrollTop = ui.timeline.scrollHeight;
    atBottom = true;
    unseen = 0;
    updateJump();
    updateTitle();
  }

  function updateJump() {
    var away = moreAfter || distanceFromBottom() > ui.timeline.clientHeight / 2;
    ui.jump.hidden = !(away || unseen > 0) || atBottom && !moreAfter;
    ui.jumpLabel.textContent = unseen === 1 ? t("new_message_one")
      : unseen > 1 ? t("new_messages_count", { count: unseen }) : t("latest_messages");
  }

  /* --- the unread count of this chat (unread.js shows the total) -------------------------------- */

  // Messages from others after the read position, while they are not being looked at: the
  // tab is hidden, or the timeline is scrolled away from the newest. Reading them resets it.
  function updateTitle() {
    if (stopped) return;  // an answer that came after switcher.js closed this conversation
    var readUpTo = Math.max(myReadSeq, readSent);
    var looking = document.visibilityState === "visible" && atBottom && !moreAfter;
    var count = 0;
    if (!looking) {
      var unread = function (m) {
        return m.seq > readUpTo && m.sender.user_id !== me.user_id && m.msg_type !== "system";
      };
      store.records().forEach(function (record) { if (unread(record.m)) count += 1; });
      store.heldMessages().forEach(function (m) { if (!store.has(m.msg_id) && unread(m)) count += 1; });
    }
    showChatUnread(chatId, count);
  }

  /** Show new things: follow them at the bottom, or count them while reading further up. */
  function afterArrival(fromOthers) {
    if (atBottom && !moreAfter) {
      render();
      scrollToBottom();
    } else {
      if (fromOthers.length) {
        unseen += fromOthers.length;
        if (markerSeq === null) markerSeq = fromOthers[0].seq;
      }
      render();
      updateJump();
    }
    maybeMarkRead();
  }

  function onScroll() {
    atBottom = distanceFromBottom() < AT_BOTTOM;
    if (atBottom && !moreAfter) unseen = 0;
    updateJump();
    updateTitle();
    if (ui.timeline.scrollTop < NEAR_EDGE && moreBefore) loadOlder();
    if (distanceFromBottom() < NEAR_EDGE && moreAfter) loadNewer(false);
    maybeMarkRead();
  }

  function setHistoryStatus(text) {
    ui.historyStatus.textContent = text;
  }

  /* --- history pages ------------------------------------------------------------------------ */

  function historyPage(query) {
    var params = new URLSearchParams(query);
    return getJson(client.urls.messages + "?" + params.toString());
  }

  var loadingOlder = false;
  function loadOlder() {
    if (loadingOlder || !moreBefore || !store.oldest()) return;
    loadingOlder = true;
    setHistoryStatus(t("loading_earlier"));
    historyPage({ before: store.oldest().m.seq, limit: client.history_page }).then(function (page) {
      var t = ui.timeline;
      var height = t.scrollHeight;
      var top = t.scrollTop;
      page.messages.forEach(upsert);
      moreBefore = page.has_more_before;
      render();
      t.scrollTop = top + (t.scrollHeight - height);  // the same messages stay in view
    }).catch(function () { /* offline: scrolling again retries */ }).then(function () {
      loadingOlder = false;
      setHistoryStatus(t(moreBefore ? "earlier_on_scroll" : "beginning"));
      if (moreBefore && ui.timeline.scrollHeight <= ui.timeline.clientHeight) loadOlder();
    });
  }

  // Pages after the last message held without a gap: catch-up (`all`) goes on until the
  // newest; scrolling down through an older stretch takes one page at a time.
  var loadingNewer = null;
  function loadNewer(all) {
    if (loadingNewer) return loadingNewer;
    loadingNewer = (function next() {
      return historyPage({ after: store.contiguousHigh(), limit: client.history_page_max }).then(function (page) {
        if (!page.has_more_after) page.messages = page.messages.concat(store.releaseHeld());
        var fresh = page.messages.filter(function (m) {  // news, unless paging down by hand
          return all && !store.has(m.msg_id) && m.sender.user_id !== me.user_id && m.msg_type !== "system";
        });
        page.messages.forEach(upsert);
        moreAfter = page.has_more_after;
        afterArrival(fresh);
        if (all && moreAfter) return next();
        return null;
      });
    })().catch(function () { /* offline: the next connect catches up */ }).then(function () {
      loadingNewer = null;
    });
    return loadingNewer;
  }

  /** Leave an older stretch (?around=) for the newest messages. */
  function jumpToLatest() {
    return historyPage({ limit: client.history_page_max }).then(function (page) {
      store.clear();
      markerSeq = null;
      page.messages.concat(store.releaseHeld()).forEach(upsert);
      moreBefore = page.has_more_before;
      moreAfter = false;
      render();
      scrollToBottom();
      maybeMarkRead();
    }).catch(showError);
  }

  var gapTimer = null;
  function watchForGaps() {
    clearTimeout(gapTimer);
    if (moreAfter || store.contiguousHigh() === store.highestSeq()) return;
    gapTimer = setTimeout(function () {  // still missing after a moment: it was missed
      if (!moreAfter && store.contiguousHigh() < store.highestSeq()) loadNewer(true);
    }, 1500);
  }

  function onConnect(reconnected) {
    // Events sent while away are not replayed: fetch what came after the last message held,
    // the read positions, and the changes to messages already held.
    if (!moreAfter) loadNewer(true);
    askDetails();
    if (reconnected) catchUpChanges();
    sender.retryStalled();
  }

  /* --- reading ------------------------------------------------------------------------------- */

  function newestOnScreen() {
    var last = store.newest() ? store.newest().node : null;
    if (!last || !last.isConnected) return false;
    return last.getBoundingClientRect().top < ui.timeline.getBoundingClientRect().bottom;
  }

  var readTimer = null;
  function maybeMarkRead() {
    if (document.visibilityState !== "visible" || moreAfter) return;
    if (store.highestSeq() <= Math.max(myReadSeq, readSent) || !newestOnScreen()) return;
    if (readTimer) return;  // one report for a burst, sent even while the burst goes on
    readTimer = setTimeout(function () {
      readTimer = null;
      var upTo = store.highestSeq();
      if (upTo <= Math.max(myReadSeq, readSent) || !socket || !socket.connected) return;
      readSent = upTo;
      emit("mark_read", { chat_id: chatId, up_to_seq: upTo }, function (answer) {
        if (answer.ok) myReadSeq = Math.max(myReadSeq, answer.read_seq);
        else readSent = myReadSeq;
        updateTitle();
      });
    }, 300);
  }

  function onRead(payload) {
    if (!payload || payload.chat_id !== chatId) return;
    var member = members.get(payload.user_id);
    var before = member ? member.read_seq : 0;
    if (member) member.read_seq = Math.max(member.read_seq, payload.up_to_seq);
    if (payload.user_id === me.user_id) {  // read here, or in another tab
      myReadSeq = Math.max(myReadSeq, payload.up_to_seq);
      updateTitle();
      return;
    }
    refreshFeet(function (m) {  // only the reader's newly read messages change
      return m.sender.user_id === me.user_id && m.seq > before && m.seq <= payload.up_to_seq;
    });
    receipts.refresh();
  }

  /* --- live events ---------------------------------------------------------------------------- */

  function onCreated(payload) {
    var m = payload && payload.message;
    if (!m || m.chat_id !== chatId) return;
    // Sending counts as reading: the event carries the sender's new read position.
    if (typeof payload.sender_read_seq === "number") {
      onRead({ chat_id: chatId, user_id: m.sender.user_id, up_to_seq: payload.sender_read_seq });
    }
    if (moreAfter) {
      // Showing an older stretch: the message joins when the pages below it are in.
      store.hold(m);
      updateJump();
      updateTitle();
      return;
    }
    var isNew = !store.has(m.msg_id);
    upsert(m);
    typing.stop(m.sender.user_id);
    var fromOthers = isNew && m.sender.user_id !== me.user_id && m.msg_type !== "system";
    if (fromOthers) announce(View.summary(m));
    afterArrival(fromOthers ? [m] : []);
    watchForGaps();
  }

  // Edits, recalls and reactions made while away: asked for from the change position last
  // caught up to, page after page (each message once, as it is now).
  var catchingChanges = null;
  function catchUpChanges() {
    if (catchingChanges) return catchingChanges;
    catchingChanges = (function next() {
      return getJson(client.urls.changes + "?" + new URLSearchParams({ after: lastChange })).then(function (answer) {
        var changed = answer.messages.map(upsert).some(Boolean);
        lastChange = Math.max(lastChange, answer.last_change);
        if (changed) render();
        if (answer.has_more) return next();
        return null;
      });
    })().catch(function () { /* offline: the next connect asks again */ }).then(function () {
      catchingChanges = null;
    });
    return catchingChanges;
  }

  function onTyping(payload) {
    if (payload && payload.chat_id === chatId) typing.typing(payload.user);
  }

  // The friendship of this private chat ended, or began again: the server says whether
  // sending is open now (chat.can_send), and the composer or the reason why not shows.
  function onFriendship(payload) {
    var other = chat.other_user;
    var who = payload && (payload.friend ? payload.friend.user_id : payload.user_id);
    if (!chat.is_private || !other || who !== other.user_id) return;
    askDetails();
  }

  // The chat's details again (members, roles, whether sending is open). Answers can cross on
  // the way (a reconnect's and a friendship event's): only the newest question's answer, or a
  // later one, is applied, so an old "not friends" never closes a composer reopened since.
  var detailsAsked = 0;
  var detailsApplied = 0;
  function askDetails() {
    var asked = ++detailsAsked;
    getJson(client.urls.chat).then(function (answer) {
      if (stopped || asked < detailsApplied) return;
      detailsApplied = asked;
      setMembers(answer.chat.members);
      chat.privilege = answer.chat.privilege;
      sender.setOpen(answer.chat.can_send);
      refreshFeet();
    }).catch(function () { /* the next connect or event asks again */ });
  }

  function announce(text) {
    ui.announcer.textContent = text;
  }

  function emit(name, payload, done) {
    if (!socket) {
      done({ ok: false, error: { code: "offline", message: t("not_connected") } });
      return;
    }
    socket.timeout(SEND_TIMEOUT).emit(name, payload, function (error, answer) {
      if (error || !answer) {
        answer = { ok: false, error: { code: "timeout", message: t("no_answer") } };
      }
      done(answer);
    });
  }

  /** Something is being sent: show the newest messages, with it at the end. */
  function beforeSend() {
    if (moreAfter) jumpToLatest();
    markerSeq = null;
    unseen = 0;
    render();
    scrollToBottom();
  }

  /** The stored message is back (an ack, or the answer to an upload). */
  function accept(message) {
    sender.settle(message.client_msg_id);
    upsert(message);
    render();
    if (atBottom) scrollToBottom();
    maybeMarkRead();
  }

  /* --- start ---------------------------------------------------------------------------------- */

  /** The page's own messages, scrolled to the message asked for, to the first unread one,
   * or to the newest. */
  function showFirstPage() {
    first.messages.forEach(upsert);
    var firstUnread = store.records().find(function (r) {
      return r.m.seq > first.read_seq && r.m.sender.user_id !== me.user_id && r.m.msg_type !== "system";
    });
    if (firstUnread && !first.around) markerSeq = firstUnread.m.seq;
    render();
    var target = first.around ? store.get(first.around) : null;
    if (target) {
      target.node.classList.add("msg-highlight");
      target.node.scrollIntoView({ block: "center" });
    } else {
      scrollToBottom();
      var above = markerSeq === null ? 0
        : ui.timeline.getBoundingClientRect().top - marker.getBoundingClientRect().top;
      if (above > 0) ui.timeline.scrollTop -= above + 24;  // the first unread one at the top
    }
    atBottom = distanceFromBottom() < AT_BOTTOM;
    updateJump();
    updateTitle();
    if (moreBefore && ui.timeline.scrollHeight <= ui.timeline.clientHeight) loadOlder();
  }

  // A tap on a message shows its actions (on a touch screen nothing is pointed at); a tap on
  // it again, or on another message, hides them. Taps on its links, players and buttons act.
  function onTap(event) {
    if (event.target.closest("a, button, audio, video, .receipts-pop")) return;
    var li = event.target.closest("li.msg[data-msg-id]");
    var had = ui.list.querySelector("li.msg.is-selected");
    if (had && had !== li) had.classList.remove("is-selected");
    if (li) li.classList.toggle("is-selected");
  }

  var cleanups = [];
  var stopped = false;

  function onDocument(type, fn) {
    document.addEventListener(type, fn);
    cleanups.push(function () { document.removeEventListener(type, fn); });
  }

  function listen() {
    ui.timeline.addEventListener("scroll", onScroll, { passive: true });
    ui.list.addEventListener("click", onTap);
    ui.jump.addEventListener("click", function () {
      if (moreAfter) jumpToLatest(); else scrollToBottom();
      maybeMarkRead();
    });
    onDocument("visibilitychange", function () {
      maybeMarkRead();
      updateTitle();
    });
    onDocument("keydown", function (event) {
      if (event.key !== "Escape" || event.defaultPrevented) return;
      if (more.closeAll() || receipts.closeAll() || pins.close()) event.preventDefault();
    });
    if (window.ResizeObserver) {  // late media sizes, a taller composer: stay at the bottom
      var resized = new ResizeObserver(function () { if (atBottom && !moreAfter) scrollToBottom(); });
      resized.observe(ui.list);
      cleanups.push(function () { resized.disconnect(); });
    }
    // refresh.js refreshed the header and #chat-state (members, roles, the name).
    onDocument("chatapp:refreshed", function () {
      chat = readJson("chat-state").chat;
      setMembers(chat.members);
      ui.text.placeholder = t("message_placeholder", { name: chat.chat_name });
      sender.setOpen(chat.can_send);
      refreshFeet();
    });
    var ticking = setInterval(function () {  // the recall window of recent messages closes
      var now = Date.now() / 1000 + clockSkew;
      refreshFeet(function (m) {
        return m.sender.user_id === me.user_id && now - m.create_time < client.recall_window + 60;
      });
    }, 10000);
    cleanups.push(function () { clearInterval(ticking); });
    if (socket) {
      // connected, reconnected, or live events were lost
      cleanups.push(connection.onCatchUp(onConnect));
      [["message_created", onCreated], ["message_recalled", onChanged], ["messages_read", onRead],
        ["message_edited", onChanged], ["message_reactions", onChanged], ["message_pinned", onChanged],
        ["typing", onTyping], ["friend_removed", onFriendship],
        ["friend_request_accepted", onFriendship]].forEach(function (pair) {
        socket.on(pair[0], pair[1]);
        cleanups.push(function () { socket.off(pair[0], pair[1]); });
      });
    }
  }

  function stop() {
    stopped = true;
    cleanups.forEach(function (fn) { fn(); });
    cleanups = [];
    clearTimeout(gapTimer);
    clearTimeout(readTimer);
    typing.clear();
    if (sender && sender.stop) sender.stop();
    if (more) more.stop();
    if (forwarding) forwarding.stop();
    if (pins) pins.stop();
    root.removeEventListener("change", onNotifyChange);
    showChatUnread(chatId, 0);
  }

  setMembers(chat.members);
  sender = composer({
    client: client, me: me, socket: socket, emit: emit, accept: accept,
    ui: ui, beforeSend: beforeSend, changed: render, people: mentionable,
  });
  pins = pinsPanel({ root: root, url: client.urls.pins, open: showQuoted, showError: showError });
  root.addEventListener("change", onNotifyChange);
  more = messageActions({
    chatId: chatId, meId: me.user_id, messagesUrl: client.urls.messages, emit: emit,
    accept: function (m) { onChanged({ message: m }); }, showError: showError,
  });
  forwarding = forwarder({  // GET /api/chats: the chat's own API address without its id
    chatId: chatId, chatsUrl: client.urls.chat.replace(/\/\d+$/, ""), emit: emit,
    announce: announce, statusAfter: ui.error,
  });
  showFirstPage();
  listen();
  maybeMarkRead();
  return stop;
}
