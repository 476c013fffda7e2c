/* chatapp chat composer: text and files on their way (used by conversation.js).
 *
 * Each message gets a client_msg_id when it is written and keeps it through every retry, so
 * the server stores it once however often it is sent (docs/api.md, POST .../messages). Text
 * goes over the socket (`send_message` with an ack); files go with XMLHttpRequest, which
 * reports upload progress and can be cancelled. Until the stored message comes back (the ack,
 * the upload's answer or `message_created`, whichever is first) it is shown as pending.
 *
 * The composer also answers a message (a reply: the next text carries `reply_to`) and edits
 * one's own (`edit_message`); the bar above it says which, and Escape or Cancel ends it.
 */
import { csrfToken } from "../api.js";
import { errorText, t } from "../strings.js";
import * as drafts from "../drafts.js";
import { plainText } from "./format.js";
import { decodeMentions, encodeMentions, mentionPicker, mentionText } from "./mentions.js";
import * as View from "./view.js";

var TYPING_EVERY = 2000;  // ms between two `typing` we send (the server throttles too)
var NO_ANSWER = ["timeout", "offline"];  // failures that a reconnect may cure
// Failures that trying again may cure: no answer, too many at once, a broken server. Any
// other (no longer friends, a file too large or refused, a role that does not allow it)
// would fail the same way again: such a message gets Discard, and no Retry.
var PASSING = NO_ANSWER.concat(["rate_limited", "internal_error", "unavailable"]);

function retriable(code) {
  return PASSING.indexOf(code) >= 0 || /^http_5\d\d$/.test(code || "");
}

/**
 * ``app`` gives: client (#chat-state), me, ui (the composer's elements), socket,
 * emit(name, payload, done), accept(message), beforeSend(), changed(), and people(): whom
 * "@" offers ([{user_id, user_name}]).
 * Returns {pending, settle(cmid), retryStalled(), showError(text), setOpen(canSend),
 * replyTo(m), edit(m), endMode(), stop()}.
 */
export function composer(app) {
  var ui = app.ui;
  var client = app.client;
  var chatId = client.chat.chat_id;
  var pending = new Map();  // client_msg_id -> a message on its way, in the order written
  var picked = new Map();   // "@name" picked from the suggestions -> user id (or "all")
  var mentions = null;      // mentions.js: the suggestions after "@"

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function characters(text) {  // as the server counts them: code points, CRLF as one
    return Array.from(text.replace(/\r\n?/g, "\n").trim()).length;
  }

  /* --- messages on their way -------------------------------------------------------- */

  function add(p) {
    p.person = app.me;
    p.node = View.pending(p, { retry: retry, discard: discard, cancel: cancelUpload });
    pending.set(p.cmid, p);
    app.beforeSend();
  }

  /** The stored message is here: the pending copy goes. */
  function settle(cmid) {
    var p = pending.get(cmid);
    if (!p) return;
    pending.delete(cmid);
    p.xhr = null;
    if (p.node) p.node.remove();
  }

  function failed(p, error) {
    p.status = "failed";
    p.error = errorText(error);
    p.errorCode = error.code;
    p.retriable = retriable(error.code);
    p.xhr = null;
    if (pending.has(p.cmid)) View.status(p.node, p);
    if (error.code === "not_friends") setOpen(false);  // the server says so: no composer
  }

  function retry(p) {
    if (p.file) upload(p); else sendText(p);
  }

  function discard(p) {
    settle(p.cmid);
    app.changed();
  }

  // Back online: texts that failed for want of a connection go again (same client_msg_id,
  // so nothing is stored twice).
  function retryStalled() {
    pending.forEach(function (p) {
      if (p.status === "failed" && !p.file && NO_ANSWER.indexOf(p.errorCode) >= 0) sendText(p);
    });
  }

  /* --- text ---------------------------------------------------------------------------- */

  function submit() {
    var text = ui.text.value;
    if (!open || !text.trim()) return;
    if (characters(text) > client.text_max) {
      showError(t("text_too_long", { max: client.text_max }), "length");
      return;
    }
    if (mode && mode.kind === "edit") {
      saveEdit(mode.message, text);
      return;
    }
    ui.text.value = "";
    updateCounter();
    keepDraft();
    var cleaned = text.replace(/\r\n?/g, "\n").trim();
    // Shown as typed while on its way; sent with the names picked after "@" as tokens.
    var p = { cmid: newClientId(), text: cleaned, wire: encodeMentions(cleaned, picked), status: "sending" };
    picked.clear();
    if (mode && mode.kind === "reply") p.reply_to = mode.message.msg_id;
    endMode();
    add(p);
    sendText(p);
  }

  /* --- replying and editing ------------------------------------------------------------- */

  var mode = null;  // {kind: "reply" | "edit", message, draft (the text put aside to edit)}

  function showMode(label) {
    ui.contextLabel.textContent = label;
    ui.context.hidden = false;
    ui.text.focus();
  }

  /** The next text answers ``m``. */
  function replyTo(m) {
    if (mode && mode.kind === "edit") endMode();
    mode = { kind: "reply", message: m };
    var start = m.file ? m.file.name : mentionText(plainText(m.msg_text), m);
    showMode(t("replying_to", { name: m.sender.user_name, text: start.slice(0, 80) }));
  }

  /** Put one's own message ``m`` in the composer to change its text. */
  function edit(m) {
    var draft = mode && mode.kind === "edit" ? mode.draft : ui.text.value;
    mode = { kind: "edit", message: m, draft: draft };
    var editable = decodeMentions(m);
    editable.picked.forEach(function (id, name) { picked.set(name, id); });
    ui.text.value = editable.text;
    updateCounter();
    showMode(t("editing"));
    ui.text.setSelectionRange(ui.text.value.length, ui.text.value.length);
  }

  /** Back to writing a new message (an edit gives back the text put aside for it). */
  function endMode() {
    if (!mode) return;
    var was = mode;
    mode = null;
    ui.context.hidden = true;
    ui.contextLabel.textContent = "";
    if (was.kind === "edit") {
      ui.text.value = was.draft || "";
      updateCounter();
    }
  }

  function saveEdit(m, text) {
    var cleaned = encodeMentions(text.replace(/\r\n?/g, "\n").trim(), picked);
    if (cleaned === m.msg_text) {
      endMode();
      return;
    }
    app.emit("edit_message", { chat_id: chatId, msg_id: m.msg_id, text: cleaned }, function (answer) {
      if (answer.ok) {
        app.accept(answer.message);
        if (mode && mode.message.msg_id === m.msg_id) endMode();
      } else {
        showError(errorText(answer.error));
      }
    });
  }

  function sendText(p) {
    p.status = "sending";
    p.error = p.errorCode = null;
    View.status(p.node, p);
    var attempt = p.attempt = (p.attempt || 0) + 1;
    var payload = { chat_id: chatId, text: p.wire || p.text, client_msg_id: p.cmid };
    if (p.reply_to) payload.reply_to = p.reply_to;
    app.emit("send_message", payload, function (answer) {
      if (answer.ok) {
        app.accept(answer.message);
      } else if (pending.has(p.cmid) && p.attempt === attempt) {
        failed(p, answer.error);
      }
    });
  }

  /* --- files ---------------------------------------------------------------------------- */

  function sendFiles(list) {
    if (!open) return;
    Array.prototype.slice.call(list || []).forEach(function (file) {
      var p = { cmid: newClientId(), file: file, name: file.name || "pasted image.png",
        size: file.size, status: "uploading", progress: 0 };
      add(p);
      upload(p);
    });
  }

  function upload(p) {
    if (p.size > client.upload_max) {
      failed(p, { code: "file_too_large",
        message: t("file_larger_than", { size: View.fileSize(client.upload_max) }) });
      return;
    }
    var xhr = new XMLHttpRequest();
    p.xhr = xhr;
    p.status = "uploading";
    p.progress = 0;
    p.error = p.errorCode = null;
    View.status(p.node, p);
    xhr.open("POST", client.urls.files);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || p.xhr !== xhr) return;
      p.progress = event.loaded / event.total;
      View.status(p.node, p);
    });
    xhr.addEventListener("load", function () {
      if (p.xhr !== xhr) return;
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON: said below */ }
      if (xhr.status >= 200 && xhr.status < 300 && body && body.message) {
        app.accept(body.message);
      } else {
        failed(p, body && body.error ? body.error : {
          code: "http_" + xhr.status,
          message: xhr.status === 413 ? t("file_too_large")
            : t("upload_failed_status", { status: xhr.status }),
        });
      }
    });
    xhr.addEventListener("error", function () {
      if (p.xhr === xhr) failed(p, { code: "offline", message: t("upload_offline") });
    });
    var form = new FormData();
    form.append("client_msg_id", p.cmid);
    form.append("file", p.file, p.name);
    xhr.send(form);
  }

  function cancelUpload(p) {
    var xhr = p.xhr;
    p.xhr = null;
    if (xhr) xhr.abort();
    discard(p);
  }

  /* --- the composer ----------------------------------------------------------------------- */

  // A private chat whose friendship ended shows why, and a way to become friends again,
  // instead of a composer whose every message would be refused (the server decides:
  // chat.can_send). It comes back when they are friends again; the typed text stays.
  var open = true;
  function setOpen(canSend) {
    open = canSend !== false;
    var focused = ui.composer.contains(document.activeElement);
    ui.composer.hidden = !open;
    if (ui.closed) ui.closed.hidden = open;
    if (!open) hideError();
    if (!open && focused && ui.closed) ui.closed.querySelector("a").focus();
  }

  function updateCounter() {
    var count = characters(ui.text.value);
    var near = count > client.text_max - 100;
    ui.counter.hidden = !near;
    ui.counter.textContent = near ? count + " / " + client.text_max : "";
    ui.counter.classList.toggle("over", count > client.text_max);
    if (errorAbout === "length" && count <= client.text_max) hideError();  // it fits now
    ui.text.style.height = "";  // CSSOM, which the CSP allows: grow with the text
    ui.text.style.height = Math.min(ui.text.scrollHeight + 2, 160) + "px";
  }

  // What is typed and not sent stays for this person and chat (drafts.js), across chat
  // switches and reloads; sending clears it.
  function keepDraft() {
    if (mode && mode.kind === "edit") return;  // the draft is the text put aside meanwhile
    drafts.save(app.me.user_id, chatId, ui.text.value);
  }

  function restoreDraft() {
    var draft = drafts.load(app.me.user_id, chatId);
    if (!draft || ui.text.value) return;
    ui.text.value = draft;
    updateCounter();
  }

  var lastTyping = 0;
  function onInput() {
    updateCounter();
    if (mentions) mentions.update();
    keepDraft();
    var socket = app.socket;
    if (ui.text.value.trim() && Date.now() - lastTyping > TYPING_EVERY && socket && socket.connected) {
      lastTyping = Date.now();
      socket.emit("typing", { chat_id: chatId });
    }
  }

  var errorTimer = null;
  var errorAbout = null;  // "length": the text is too long, and the error goes once it fits
  function showError(text, about) {
    ui.error.textContent = text;
    ui.error.hidden = false;
    errorAbout = about || null;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(hideError, 6000);
  }

  function hideError() {
    clearTimeout(errorTimer);
    ui.error.hidden = true;
    errorAbout = null;
  }

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return Boolean(types) && Array.prototype.indexOf.call(types, "Files") >= 0;
  }

  function wireDrop() {
    var depth = 0;
    ui.dropZone.addEventListener("dragenter", function (event) {
      if (!hasFiles(event)) return;
      depth += 1;
      ui.overlay.hidden = false;
    });
    ui.dropZone.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) ui.overlay.hidden = true;
    });
    ui.dropZone.addEventListener("drop", function (event) {
      depth = 0;
      ui.overlay.hidden = true;
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      sendFiles(event.dataTransfer.files);
    });
    // Anywhere else on the page a dropped file is ignored, not opened in place of the chat.
    onDocument("dragover", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = ui.dropZone.contains(event.target) ? "copy" : "none";
    });
    onDocument("drop", function (event) {
      if (hasFiles(event)) event.preventDefault();
    });
  }

  // Listeners on the document, removed by stop() when the conversation closes without a page
  // load (switcher.js).
  var documentListeners = [];
  function onDocument(type, fn) {
    document.addEventListener(type, fn);
    documentListeners.push([type, fn]);
  }

  function stop() {
    documentListeners.forEach(function (pair) { document.removeEventListener(pair[0], pair[1]); });
    documentListeners = [];
    clearTimeout(errorTimer);
  }

  function wire() {
    setOpen(client.chat.can_send);
    restoreDraft();
    ui.composer.addEventListener("submit", function (event) {
      event.preventDefault();
      submit();
      ui.text.focus();
    });
    mentions = mentionPicker({
      textarea: ui.text, box: ui.text.parentElement, people: app.people, picked: picked,
    });
    ui.text.addEventListener("keydown", function (event) {
      if (mentions.onKeydown(event)) return;
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      } else if (event.key === "Escape" && mode) {
        event.preventDefault();
        endMode();
      }
    });
    ui.contextCancel.addEventListener("click", function () {
      endMode();
      ui.text.focus();
    });
    ui.text.addEventListener("input", onInput);
    // A pasted screenshot: in the composer, or anywhere on the page but another field.
    onDocument("paste", function (event) {
      var files = event.clipboardData && event.clipboardData.files;
      var field = event.target.closest && event.target.closest("input, textarea, [contenteditable]");
      if (!files || !files.length || (field && field !== ui.text)) return;
      event.preventDefault();
      sendFiles(files);
    });
    ui.attach.addEventListener("click", function () { ui.files.click(); });
    ui.files.addEventListener("change", function () {
      sendFiles(ui.files.files);
      ui.files.value = "";
    });
    wireDrop();
  }

  wire();
  return {
    pending: pending, settle: settle, retryStalled: retryStalled, showError: showError,
    setOpen: setOpen, stop: stop, replyTo: replyTo, edit: edit, endMode: endMode,
  };
}
