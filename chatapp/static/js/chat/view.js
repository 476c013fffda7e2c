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
import { formatted, plainText } from "./format.js";
import { mentionChips, mentionsMe, mentionText } from "./mentions.js";

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

/* --- text ------------------------------------------------------------------------------ */

// A message's text with its formatting (format.js: bold, italic, code, code blocks, links).
function messageText(text) {
  var box = el("div", "msg-text");
  box.append(formatted(text));
  return box;
}

// What a preview reads of a message: a text's words without formatting, else its text (a
// file's name is not formatted).
function previewText(msgType, text) {
  return msgType === "text" ? plainText(text || "") : text || "";
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

/** A stored message; ``ctx`` is {meId, receipt, canRecall, canReply, canEdit, canReact,
 * canForward, onRecall, onReceipts, onReply, onEdit, onPicker, onReact, onQuote, onVersions,
 * onForward}. */
function message(m, ctx) {
  if (m.msg_type === "system") return notice(m);
  var li = shell(m.sender, m.sender.user_id === ctx.meId, m.create_time);
  li.id = "m" + m.msg_id;
  li.setAttribute("data-msg-id", String(m.msg_id));
  var bubble = parts(li).bubble;
  if (m.reply_to && !m.recalled) bubble.append(quote(m.reply_to, ctx));
  if (m.forwarded_from && !m.recalled) bubble.append(el("p", "forwarded", t("forwarded_from", { name: m.forwarded_from.user_name })));
  if (m.recalled) {
    li.classList.add("msg-recalled");
    bubble.append(el("p", "msg-text recalled", t("recalled")));
  } else if (m.file) {
    bubble.classList.add("bubble-file");
    bubble.append(attachment(m));
  } else {
    bubble.append(messageText(m.msg_text));
    mentionChips(bubble.lastChild, m, ctx.meId);
    if (mentionsMe(m, ctx.meId)) li.classList.add("msg-mentions-me");
  }
  if (m.reactions && m.reactions.length) bubble.after(reactionsRow(m, ctx));
  foot(li, m, ctx);
  return li;
}

/** The start of the message a reply answers; a click shows that message (ctx.onQuote). */
function quote(q, ctx) {
  var b = button("quote");
  b.setAttribute("data-quote", String(q.msg_id));
  b.setAttribute("aria-label", t("reply_to_label", { name: q.sender.user_name }));
  // The server sends a text's start as plain text already (no formatting marks).
  var text = q.recalled ? t("recalled") : mentionText(q.text, null, ctx.nameOf);
  b.append(el("strong", "quote-name", q.sender.user_name), el("span", "quote-text" + (q.recalled ? " recalled" : ""), text));
  b.addEventListener("click", function () { ctx.onQuote(q); });
  return b;
}

/** Each emoji given to the message, how many gave it and who; one's own is pressed, and a
 * click gives or takes it back (ctx.onReact). */
function reactionsRow(m, ctx) {
  var row = el("div", "reactions");
  row.setAttribute("data-reactions", "");
  m.reactions.forEach(function (r) {
    var mine = r.users.some(function (u) { return u.user_id === ctx.meId; });
    var names = list(r.users.map(function (u) { return u.user_name; }));
    var chip = button("reaction" + (mine ? " reaction-mine" : ""));
    chip.append(el("span", "reaction-emoji", r.emoji), el("span", "reaction-count", String(r.count)));
    chip.title = t("reacted_by", { emoji: r.emoji, names: names });
    chip.setAttribute("aria-label", t("reacted_by", { emoji: r.emoji, names: names }));
    chip.setAttribute("aria-pressed", mine ? "true" : "false");
    chip.setAttribute("data-emoji", r.emoji);
    chip.disabled = !ctx.canReact;
    chip.addEventListener("click", function () { ctx.onReact(m, r.emoji, !mine); });
    row.append(chip);
  });
  return row;
}

/** The emoji a person picks from to react (a short list: any emoji works over the API). */
var PICKS = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

function reactionPicker(onPick) {
  var box = el("div", "reaction-picker");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", t("add_reaction"));
  box.setAttribute("data-reaction-picker", "");
  PICKS.forEach(function (emoji) {
    var b = button("reaction-pick", emoji);
    b.setAttribute("data-emoji", emoji);
    b.addEventListener("click", function () { onPick(emoji); });
    box.append(b);
  });
  return box;
}

/** Every text an edited message has had (the answer of .../versions), oldest first. */
function versionsList(msgId, answer) {
  var box = el("div", "receipts-pop versions-pop");
  box.id = "versions-" + msgId;
  box.setAttribute("data-versions-pop", "");
  box.setAttribute("role", "status");
  box.append(el("p", "muted", t("edit_history")));
  var ol = el("ol", "versions");
  answer.versions.forEach(function (v) {
    var li = el("li");
    li.append(readerTime(v.written_at, "clock"), " ", el("span", "version-text", v.msg_text));
    ol.append(li);
  });
  box.append(ol);
  return box;
}

/** Redraw the line under a message (its time and read state) and its action. */
function foot(li, m, ctx) {
  var box = parts(li).foot;
  if (!box) return;
  var had = document.activeElement;
  var focused = had && li.contains(had) && had.closest(".msg-foot, .msg-actions") ? had : null;
  box.replaceChildren();
  if (m.sender.user_id === ctx.meId) box.append(timeNode(m.create_time));  // no header of our own
  if (m.pinned_at) box.append(el("span", "pinned-mark", t("pinned")));
  if (m.edited_at && !m.recalled) {  // "edited": a click lists the earlier versions
    var edited = button("link-button edited", t("edited"));
    edited.setAttribute("data-edited", "");
    edited.setAttribute("aria-expanded", ctx.versionsOpen ? "true" : "false");
    edited.addEventListener("click", function () { ctx.onVersions(m, li, edited); });
    box.append(edited);
  }
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

// The actions float by the bubble, not on a line of their own: a line under every message
// would be blank until pointed at (app.css shows them on the message pointed at, tapped or
// holding the focus). "Reply" and "React" for any message while one may send; "Forward" any
// but a notice or a recalled one (to another chat, forward.js); "Edit" one's
// own text within the edit window; "Recall" one's own message within the recall window, or
// "Remove" someone else's, as a group's owner or admin.
function actions(li, m, ctx) {
  var wanted = [];
  if (ctx.canReply) wanted.push(["reply", t("reply"), function () { ctx.onReply(m); }]);
  if (ctx.canReact) {
    wanted.push(["react", t("react"), function (b) { ctx.onPicker(m, li, b); }]);
  }
  if (ctx.canForward) wanted.push(["forward", t("forward"), function (b) { ctx.onForward(m, b); }]);
  if (ctx.canEdit) wanted.push(["edit", t("edit"), function () { ctx.onEdit(m); }]);
  if (ctx.canPin) {
    wanted.push(["pin", t(m.pinned_at ? "unpin" : "pin"), function (b) { ctx.onPin(m, b); }]);
  }
  if (ctx.canRecall) {
    wanted.push(["recall", t(m.sender.user_id === ctx.meId ? "recall" : "remove"),
      function (b) { ctx.onRecall(m, b); }]);
  }
  var box = li.querySelector(".msg-actions");
  if (!wanted.length) {
    if (box) box.remove();
    return;
  }
  if (!box) {
    box = el("div", "msg-actions");
    parts(li).bubble.append(box);
  }
  var key = wanted.map(function (w) { return w[0] + ":" + w[1]; }).join("|");
  if (box.getAttribute("data-key") === key) return;  // the same buttons: a dialog returns to one
  box.setAttribute("data-key", key);
  box.replaceChildren.apply(box, wanted.map(function (w) {
    var b = button("link-button " + w[0], w[1]);
    b.setAttribute("data-" + w[0], "");
    b.setAttribute("data-action", w[0]);
    b.addEventListener("click", function () { w[2](b); });
    return b;
  }));
}

// The line was drawn again (a read, the recall window closing): the focus goes to the same
// action, else to another one of the message, else to the timeline, never to the page.
function keepFocus(li, was) {
  var action = was.getAttribute("data-action");
  var kind = action ? "[data-action=" + action + "]" : was.hasAttribute("data-edited")
    ? "[data-edited]" : "[data-receipts]";
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
    bubble.append(messageText(p.text));
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
  var text = mentionText(previewText(m.msg_type, m.msg_text), m);
  if (m.reply_to) return t("replied", { name: m.sender.user_name, text: text });
  if (m.file) return t(SENT[m.msg_type] || "sent_file", { name: m.sender.user_name, file: m.file.name });
  return m.sender.user_name + ": " + text;
}

export {
  dayKey, fileSize, message, foot, receiptsList, versionsList, reactionPicker, pending, status,
  dayDivider, newMarker, summary,
};
