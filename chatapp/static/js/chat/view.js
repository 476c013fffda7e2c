/* chatapp message renderer: the one place a chat's timeline entries are drawn.
 *
 * Everything a person wrote goes into the page as text (textContent, or attributes set one by
 * one); links in it become <a> elements only for http and https addresses. No markup is ever
 * built from strings. The server sends messages as data (the page's #chat-page block, the API,
 * Socket.IO events) and never draws them; conversation.js decides what to show and when, this
 * file only draws it. Words and dates are in the page's language (strings.js, times.js).
 */
import { el } from "../dom.js";
import { list, t } from "../strings.js";
import { dateFormat, timeNode as readerTime } from "../times.js";

var SHOWN = 240;  // px: the longest side of an image shown in the timeline
var dayFormat = dateFormat({ weekday: "long", month: "long", day: "numeric" });
var yearDayFormat = dateFormat({ year: "numeric", month: "long", day: "numeric" });
var SENT = { image: "sent_image", audio: "sent_audio", video: "sent_video" };  // else sent_file


function button(className, text, label) {
  var b = el("button", className, text);
  b.type = "button";
  if (label) b.setAttribute("aria-label", label);
  return b;
}

/* --- times and sizes ------------------------------------------------------------------ */

function dateOf(seconds) { return new Date(seconds * 1000); }

function dayKey(seconds) {
  var d = dateOf(seconds);
  return d.getFullYear() + "-" + (d.getMonth() + 1) + "-" + d.getDate();
}

function dayLabel(seconds) {
  var d = dateOf(seconds);
  var today = new Date();
  var yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(seconds) === dayKey(today / 1000)) return t("today");
  if (dayKey(seconds) === dayKey(yesterday / 1000)) return t("yesterday");
  return (d.getFullYear() === today.getFullYear() ? dayFormat : yearDayFormat).format(d);
}

// A message's time of day (its day is in the divider above), from times.js's one helper.
function timeNode(seconds) {
  return readerTime(seconds, "clock");
}

function fileSize(bytes) {
  if (typeof bytes !== "number") return "";
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1048576) return Math.round(bytes / 1024) + " KB";
  return (bytes / 1048576).toFixed(1) + " MB";
}

/* --- text with links ------------------------------------------------------------------ */

var URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;

// "see https://x.org/a)." -> the link is https://x.org/a ; the ")." stays text.
function trimUrl(raw) {
  var url = raw.replace(/[.,;:!?'"]+$/, "");
  while (url.endsWith(")") && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length) {
    url = url.slice(0, -1).replace(/[.,;:!?'"]+$/, "");
  }
  return url;
}

function safeHref(text) {
  try {
    var url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (e) {
    return null;
  }
}

function appendText(parent, text) {
  var last = 0;
  text.replace(URL_PATTERN, function (raw, offset) {
    var url = trimUrl(raw);
    var href = safeHref(url);
    if (!href) return raw;
    if (offset > last) parent.append(text.slice(last, offset));
    var a = el("a", "msg-link", url);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    parent.append(a);
    last = offset + url.length;
    return raw;
  });
  if (last < text.length) parent.append(text.slice(last));
  return parent;
}

/* --- attachments ---------------------------------------------------------------------- */

function shownSize(file) {
  var w = file.width || SHOWN;
  var h = file.height || SHOWN;
  var scale = Math.min(1, SHOWN / Math.max(w, h));
  return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
}

function fileCard(file) {
  var a = el("a", "attachment file-card");
  a.href = file.url;
  a.title = t("download");
  a.setAttribute("download", file.name);
  a.append(el("span", "file-icon", "⤓"));
  a.firstChild.setAttribute("aria-hidden", "true");
  var text = el("span", "file-card-text");
  text.append(el("span", "file-name", file.name), " ", el("span", "muted small", fileSize(file.size)));
  a.append(text);
  return a;
}

function player(tag, file) {
  var media = el(tag, "attachment attachment-" + tag);
  media.controls = true;
  media.preload = "metadata";
  if (tag === "video") media.playsInline = true;
  media.src = file.url;
  media.setAttribute("aria-label", file.name);
  return media;
}

function attachment(m) {
  var file = m.file;
  var box = document.createDocumentFragment();
  if (m.msg_type === "image" && file.thumbnail_url) {
    var link = el("a", "attachment attachment-image");
    link.setAttribute("data-viewer", "");  // opens in viewer.js
    link.href = file.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    var img = el("img");
    var size = shownSize(file);
    img.width = size[0];
    img.height = size[1];
    img.alt = file.name;
    img.decoding = "async";
    img.src = file.thumbnail_url;
    link.append(img);
    box.append(link);
  } else if (m.msg_type === "audio" || m.msg_type === "video") {
    box.append(player(m.msg_type, file), fileLine(file));
  } else {
    box.append(fileCard(file));
  }
  return box;
}

function fileLine(file) {
  var p = el("p", "file-name");
  var a = el("a", null, file.name);
  a.href = file.url;
  a.setAttribute("download", file.name);
  p.append(a, " ", el("span", "muted small", fileSize(file.size)));
  return p;
}

/* --- timeline entries ------------------------------------------------------------------ */

function avatar(person) {
  var img = el("img", "avatar avatar-sm");
  img.src = person.avatar_url;
  img.alt = "";
  img.width = 28;
  img.height = 28;
  img.loading = "lazy";
  img.setAttribute("data-user-card", String(person.user_id));  // profile-card.js
  return img;
}

/** A system notice in the page's language, from the names it records. */
function noticeText(m) {
  var n = m.notice;
  if (!n || !n.kind || !n.actor) return m.text || "";
  var text = t("notice_" + n.kind, {
    actor: n.actor.user_name, target: n.target ? n.target.user_name : "", name: n.name || "",
  });
  return text === "notice_" + n.kind ? m.text || "" : text;  // a kind newer than this page
}

function notice(m) {
  var li = el("li", "notice");
  li.id = "m" + m.msg_id;
  li.append(el("span", null, noticeText(m)), " ", timeNode(m.create_time));
  return li;
}

function shell(person, mine, when) {
  var li = el("li", "msg" + (mine ? " msg-mine" : ""));
  var body = el("div", "msg-body");
  var meta = el("div", "msg-meta");
  var name = el("strong", null, person.user_name);
  name.setAttribute("data-user-card", String(person.user_id));  // profile-card.js opens the card
  name.setAttribute("role", "button");
  name.setAttribute("aria-haspopup", "dialog");
  name.tabIndex = 0;
  meta.append(name, " ", when ? timeNode(when) : el("span", null, ""));
  var bubble = el("div", "bubble");
  var foot = el("div", "msg-foot");
  body.append(meta, bubble, foot);
  li.append(avatar(person), body);
  return li;
}

function parts(li) {
  return { bubble: li.querySelector(".bubble"), foot: li.querySelector(".msg-foot") };
}

/** A stored message; ``ctx`` is {meId, receipt, canRecall, onRecall, onReceipts}. */
function message(m, ctx) {
  if (m.msg_type === "system") return notice(m);
  var li = shell(m.sender, m.sender.user_id === ctx.meId, m.create_time);
  li.id = "m" + m.msg_id;
  li.setAttribute("data-msg-id", String(m.msg_id));
  var bubble = parts(li).bubble;
  if (m.recalled) {
    li.classList.add("msg-recalled");
    bubble.append(el("p", "msg-text recalled", t("recalled")));
  } else if (m.file) {
    bubble.classList.add("bubble-file");
    bubble.append(attachment(m));
  } else {
    bubble.append(appendText(el("p", "msg-text"), m.msg_text));
  }
  foot(li, m, ctx);
  return li;
}

/** Redraw the line under a message (its time and read state) and its action. */
function foot(li, m, ctx) {
  var box = parts(li).foot;
  if (!box) return;
  var had = document.activeElement;
  var focused = had && li.contains(had) && had.closest(".msg-foot, .msg-actions") ? had : null;
  box.replaceChildren();
  if (m.sender.user_id === ctx.meId) box.append(timeNode(m.create_time));  // no header of our own
  var receipt = ctx.receipt;
  if (receipt && receipt.kind === "private") {
    var read = receipt.read;
    box.append(el("span", "receipt" + (read ? " receipt-read" : ""), t(read ? "read" : "sent")));
  } else if (receipt && receipt.kind === "group") {
    var label = receipt.unread === 0 ? t("all_read") : t("unread_count", { count: receipt.unread });
    var b = button("link-button receipt" + (receipt.unread === 0 ? " receipt-read" : ""), label);
    b.setAttribute("aria-expanded", ctx.receiptsOpen ? "true" : "false");
    b.setAttribute("data-receipts", "");
    b.addEventListener("click", function () { ctx.onReceipts(m, li, b); });
    box.append(b);
  }
  box.hidden = !box.firstChild;
  actions(li, m, ctx);
  if (focused) keepFocus(li, focused);
}

// The action floats by the bubble, not on a line of its own: for a group's owner and
// admins a line under every message would be blank until pointed at (app.css shows it on
// the message pointed at, tapped or holding the focus). "Recall" one's own message within
// the recall window; "Remove" someone else's, as a group's owner or admin.
function actions(li, m, ctx) {
  var box = li.querySelector(".msg-actions");
  if (!ctx.canRecall) {
    if (box) box.remove();
    return;
  }
  if (!box) {
    box = el("div", "msg-actions");
    parts(li).bubble.append(box);
  }
  var label = t(m.sender.user_id === ctx.meId ? "recall" : "remove");
  var had = box.querySelector("[data-recall]");
  if (had && had.textContent === label) return;  // the same button: a dialog returns to it
  var recall = button("link-button recall", label);
  recall.setAttribute("data-recall", "");
  recall.addEventListener("click", function () { ctx.onRecall(m, recall); });
  box.replaceChildren(recall);
}

// The line was drawn again (a read, the recall window closing): the focus goes to the same
// action, else to another one of the message, else to the timeline, never to the page.
function keepFocus(li, was) {
  var kind = was.hasAttribute("data-recall") ? "[data-recall]" : "[data-receipts]";
  var next = li.querySelector(kind) || li.querySelector(".msg-foot button, .msg-actions button");
  if (!next && li.isConnected) next = li.closest("[data-timeline]");
  if (next) next.focus({ preventScroll: true });
}

/** Who has read message ``msgId`` (the answer of .../receipts), under the message. */
function receiptsList(msgId, answer) {
  var box = el("div", "receipts-pop");
  box.id = "receipts-" + msgId;
  box.setAttribute("data-receipts-pop", "");
  box.setAttribute("role", "status");
  var names = answer.read_by.map(function (u) { return u.user_name; });
  box.append(el("p", null, names.length ? t("read_by", { names: list(names) })
    : t("nobody_read")));
  if (answer.unread_count) {
    box.append(el("p", "muted", answer.unread_count === 1 ? t("one_not_read")
      : t("many_not_read", { count: answer.unread_count })));
  }
  return box;
}

/** A message on its way: {person, text | file, status, progress, error, retriable}; ``on`` has the
 * actions retry, discard and cancel. */
function pending(p, on) {
  var li = shell(p.person, true, null);
  li.classList.add("msg-pending");
  li.setAttribute("data-client-msg-id", p.cmid);
  var bubble = parts(li).bubble;
  if (p.file) {
    bubble.classList.add("bubble-file");
    var card = el("div", "upload-card");
    var name = el("span", "file-name", p.name);
    var progress = el("progress", "upload-progress");
    progress.max = 1;
    progress.value = 0;
    progress.setAttribute("aria-label", t("uploading_name", { name: p.name }));
    card.append(el("span", "file-icon", "⤒"), name, el("span", "muted small", fileSize(p.size)), progress);
    card.firstChild.setAttribute("aria-hidden", "true");
    bubble.append(card);
  } else {
    bubble.append(appendText(el("p", "msg-text"), p.text));
  }
  li.chatappActions = on;
  status(li, p);
  return li;
}

/** Redraw the state of a message on its way: sending, uploading with progress, failed. */
function status(li, p) {
  var on = li.chatappActions;
  li.classList.toggle("is-failed", p.status === "failed");
  var progress = li.querySelector("progress");
  if (progress) {
    progress.value = p.progress || 0;
    progress.hidden = p.status === "failed";
  }
  var box = parts(li).foot;
  var shown = p.status + (p.file && p.progress >= 1 ? ":done" : "");
  if (li.chatappShown === shown && p.status === "uploading") {  // keep the Cancel button
    box.querySelector(".sending").textContent = uploadLabel(p);
    return;
  }
  li.chatappShown = shown;
  box.hidden = false;
  box.replaceChildren();
  if (p.status === "failed") {
    box.append(el("span", "send-error", p.error ? t("failed_because", { error: p.error })
      : t("failed")), " — ");
    if (p.retriable) {  // else it would fail the same way again (composer.js)
      var retry = button("link-button", t("retry"));
      retry.addEventListener("click", function () { on.retry(p); });
      box.append(retry);
    }
    var discard = button("link-button", t("discard"));
    discard.addEventListener("click", function () { on.discard(p); });
    box.append(discard);
  } else if (p.file) {
    box.append(el("span", "sending", uploadLabel(p)));
    var cancel = button("link-button", t("cancel"), t("cancel_upload", { name: p.name }));
    cancel.addEventListener("click", function () { on.cancel(p); });
    box.append(cancel);
  } else {
    box.append(el("span", "sending", t("sending")));
  }
}

function uploadLabel(p) {
  return p.progress >= 1 ? t("processing")
    : t("uploading_percent", { percent: Math.round((p.progress || 0) * 100) + "%" });
}

function dayDivider(seconds) {
  var li = el("li", "day-divider");
  li.setAttribute("role", "separator");
  li.append(el("span", null, dayLabel(seconds)));
  return li;
}

function newMarker() {
  var li = el("li", "new-marker");
  li.setAttribute("role", "separator");
  li.setAttribute("data-testid", "new-marker");
  li.append(el("span", null, t("new_messages")));
  return li;
}

/** One line for screen readers and the like: "bob: hello", "bob sent a photo: x.jpg". */
function summary(m) {
  if (m.msg_type === "system") return noticeText(m);
  if (m.recalled) return t("recalled_by", { name: m.sender.user_name });
  if (m.file) return t(SENT[m.msg_type] || "sent_file", { name: m.sender.user_name, file: m.file.name });
  return m.sender.user_name + ": " + m.msg_text;
}

export {
  dayKey, fileSize, message, foot, receiptsList, pending, status,
  dayDivider, newMarker, summary,
};
