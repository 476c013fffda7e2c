/* chatapp page helpers shared by the other scripts (window.Chatapp): strings in the page's
 * language, and times in the reader's time zone (every <time datetime> of the page too). The
 * unread count in the tab title is live.js's.
 *
 * The strings come from the JSON block base.html puts in <head> (#i18n-strings, from
 * chatapp.i18n.js_strings: data, never run, so the CSP allows it). When it is missing or a key
 * is not in it, the English below is shown. "%(name)s" placeholders are filled as in Python.
 */
(function () {
  "use strict";

  if (window.Chatapp) return;

  // The same keys and English as chatapp/i18n.py js_strings().
  var ENGLISH = {
    sending: "Sending…",
    failed: "Not sent.",
    failed_because: "Not sent: %(error)s",
    retry: "Retry",
    discard: "Discard",
    recall: "Recall",
    remove: "Remove",
    confirm_recall: "Recall this message?",
    confirm_remove_message: "Remove %(name)s’s message?",
    confirm_recall_detail: "Everyone in the chat sees “Message recalled” in its place.",
    recalled: "Message recalled",
    recalled_by: "%(name)s recalled a message",
    read: "Read",
    sent: "Sent",
    unread_count: "%(count)s unread",
    all_read: "Read by all",
    read_by: "Read by %(names)s",
    nobody_read: "Nobody has read it yet.",
    one_not_read: "1 member has not read it yet.",
    many_not_read: "%(count)s members have not read it yet.",
    typing: "%(name)s is typing…",
    typing_two: "%(one)s and %(two)s are typing…",
    typing_many: "Several people are typing…",
    new_messages: "New messages",
    new_message_one: "1 new message",
    new_messages_count: "%(count)s new messages",
    latest_messages: "Latest messages",
    jump_to_bottom: "Jump to the newest message",
    loading_earlier: "Loading earlier messages…",
    earlier_on_scroll: "Earlier messages load as you scroll up.",
    beginning: "The beginning of the conversation.",
    message_placeholder: "Message %(name)s",
    text_too_long: "A message can have at most %(max)s characters.",
    upload_failed: "Upload failed.",
    upload_failed_status: "The upload failed (HTTP %(status)s).",
    upload_offline: "The upload failed: no connection.",
    file_larger_than: "The file is larger than %(size)s.",
    file_too_large: "The file is too large.",
    uploading_name: "Uploading %(name)s",
    uploading_percent: "Uploading %(percent)s",
    processing: "Processing…",
    cancel: "Cancel",
    cancel_upload: "Cancel upload of %(name)s",
    download: "Download",
    unread_messages: "%(count)s unread messages",
    close: "Close",
    previous_image: "Previous image",
    next_image: "Next image",
    image_position: "%(index)s of %(count)s",
    sent_image: "%(name)s sent a photo: %(file)s",
    sent_audio: "%(name)s sent an audio file: %(file)s",
    sent_video: "%(name)s sent a video: %(file)s",
    sent_file: "%(name)s sent a file: %(file)s",
    not_connected: "Not connected.",
    no_answer: "No answer from the server.",
    live: "Live",
    connecting: "Connecting…",
    offline: "Offline",
    online: "Online",
    live_title: "Updates appear as they happen",
    connecting_title: "Connecting for live updates",
    offline_title: "Not connected; retrying",
    chat_gone: "That chat is no longer available.",
    chat_unavailable: "“%(name)s” is no longer available to you.",
    chat_dissolved: "“%(name)s” was dissolved.",
    you_left: "You left “%(name)s”.",
    you_were_removed: "You were removed from “%(name)s”.",
    new_message_from: "New message from %(name)s",
    enable_notifications: "Enable notifications",
    enable_notifications_hint: "Notify me of new messages while this tab is hidden",
    notifications_blocked: "Notifications are blocked in this browser's site settings.",
    today: "Today",
    yesterday: "Yesterday",
    just_now: "just now",
    profile_of: "Profile of %(name)s",
    last_seen: "Last seen %(time)s",
    profile_message: "Message",
    add_friend: "Add friend",
    request_sent: "Request sent",
    request_received: "Asked to be your friend",
    answer_request: "Answer the request",
    your_profile: "Your profile",
    profile_failed: "Could not load this profile.",
    notice_group_created: "%(actor)s created the group “%(name)s”",
    notice_chat_renamed: "%(actor)s renamed the group to “%(name)s”",
    notice_member_added: "%(actor)s added %(target)s",
    notice_member_removed: "%(actor)s removed %(target)s",
    notice_member_left: "%(actor)s left",
    notice_admin_granted: "%(actor)s made %(target)s an admin",
    notice_admin_revoked: "%(actor)s made %(target)s a member",
    notice_ownership_transferred: "%(actor)s made %(target)s the owner",
    error_recall_window_passed: "The time for recalling this message has passed.",
    error_not_your_message: "You can only recall your own messages.",
    error_already_recalled: "That message was already recalled.",
    error_empty_message: "A message cannot be empty.",
    error_message_too_long: "The message is too long.",
    error_not_friends: "You are no longer friends; add them again to send messages.",
    error_file_too_large: "The file is too large.",
    error_too_large: "The upload is too large.",
    error_rate_limited: "Too many attempts. Wait a moment and try again.",
    error_chat_not_found: "Chat not found.",
    error_message_not_found: "Message not found.",
    error_insufficient_role: "Your role in this chat does not allow that.",
  };

  function readStrings() {
    var block = document.getElementById("i18n-strings");
    if (!block) return {};
    try {
      var parsed = JSON.parse(block.textContent);
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch (e) {
      return {};  // a broken block: English rather than no script at all
    }
  }

  var strings = readStrings();
  var lang = document.documentElement.lang || undefined;

  /** The string ``key`` in the page's language, its %(name)s filled from ``params``. */
  function t(key, params) {
    var text = typeof strings[key] === "string" ? strings[key] : ENGLISH[key];
    if (text === undefined) return key;
    return text.replace(/%\((\w+)\)s/g, function (all, name) {
      return params && params[name] !== undefined ? String(params[name]) : all;
    });
  }

  /** A service error ({code, message}) for people: English pages keep the service's own, more
   * specific, message; other languages say it by its code when they know it (as the pages do,
   * chatapp.i18n.error_text). */
  function errorText(error) {
    if (!error) return "";
    var key = "error_" + error.code;
    var english = !lang || /^en\b/i.test(lang);
    if ((english && error.message) || typeof strings[key] !== "string") return error.message || t(key);
    return t(key);
  }

  // Dates and times: the page's language, with the reader's region when the browser names one
  // of the same language ("en" read with en-GB: a 24-hour clock). "zh-Hans" keeps its script.
  var timeLocale = (function () {
    if (!lang || lang.indexOf("-") >= 0) return lang;
    var own = navigator.languages || [navigator.language];
    for (var i = 0; i < own.length; i++) {
      if (own[i] && own[i].split("-")[0].toLowerCase() === lang.toLowerCase()) return own[i];
    }
    return lang;
  })();

  /** An Intl.DateTimeFormat in the page's language (the browser's if it does not know it). */
  function dateFormat(options) {
    try {
      return new Intl.DateTimeFormat(timeLocale, options);
    } catch (e) {
      return new Intl.DateTimeFormat(undefined, options);
    }
  }

  /** "alice, bob, carol" in the page's language ("alice、bob、carol"). */
  function list(names) {
    if (window.Intl && Intl.ListFormat) {
      try {
        return new Intl.ListFormat(lang, { type: "conjunction", style: "narrow" }).format(names);
      } catch (e) { /* below */ }
    }
    return names.join(", ");
  }

  /* --- times: every time a person reads, in their time zone and language ------------------- */

  var clockFormat = dateFormat({ hour: "numeric", minute: "2-digit" });
  var fullFormat = dateFormat({ dateStyle: "full", timeStyle: "short" });
  var weekdayFormat = dateFormat({ weekday: "long" });
  var monthDayFormat = dateFormat({ month: "short", day: "numeric" });
  var dateOnlyFormat = dateFormat({ year: "numeric", month: "short", day: "numeric" });
  var relative = (function () {
    if (!window.Intl || !Intl.RelativeTimeFormat) return null;
    try {
      return new Intl.RelativeTimeFormat(timeLocale, { numeric: "auto", style: "short" });
    } catch (e) {
      return new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
    }
  })();

  // Epoch seconds (as the API sends them), an ISO string (a <time datetime>) or a Date.
  function toDate(value) {
    if (value instanceof Date) return value;
    return new Date(typeof value === "number" ? value * 1000 : value);
  }

  function dayStart(date, daysBack) {
    return new Date(date.getFullYear(), date.getMonth(), date.getDate() - daysBack);
  }

  /** How a time reads: {text, title}, the title the full date and time. ``style`` "clock" is
   * the time of day (a timeline, under its day's divider); "auto" is relative near now ("just
   * now", "2 min. ago"), the time of day today, then "yesterday", a weekday, a date. */
  function when(value, style) {
    var date = toDate(value);
    if (isNaN(date.getTime())) return null;
    var shown = { text: clockFormat.format(date), title: fullFormat.format(date) };
    if (style === "clock") return shown;
    var now = new Date();
    var ago = (now - date) / 1000;
    var today = dayStart(now, 0);
    if (Math.abs(ago) < 60) {  // a clock a little ahead of ours still means now
      shown.text = t("just_now");
    } else if (ago > 0 && ago < 3600 && relative) {
      shown.text = relative.format(-Math.floor(ago / 60), "minute");
    } else if (date >= today && date < dayStart(now, -1)) {
      // today: the time of day, as above
    } else if (date >= dayStart(now, 1) && date < today) {
      shown.text = relative ? relative.format(-1, "day") : t("yesterday");
    } else if (date >= dayStart(now, 6) && date < today) {
      shown.text = weekdayFormat.format(date);
    } else {
      shown.text = (date.getFullYear() === now.getFullYear() ? monthDayFormat : dateOnlyFormat)
        .format(date);
    }
    return shown;
  }

  /** Show a <time datetime="ISO"> in the reader's zone and language, in the style its
   * data-time names ("auto" when none). What the server wrote stays if the date is unreadable. */
  function showTime(node) {
    var stamp = node.getAttribute("datetime");
    var shown = stamp && when(stamp, node.getAttribute("data-time") || "auto");
    if (!shown) return;
    if (node.textContent !== shown.text) node.textContent = shown.text;
    if (node.title !== shown.title) node.title = shown.title;
  }

  /** A new <time> element for ``value`` (see toDate) in ``style`` ("auto" or "clock"). */
  function timeNode(value, style) {
    var node = document.createElement("time");
    node.dateTime = toDate(value).toISOString();
    if (style) node.setAttribute("data-time", style);
    showTime(node);
    return node;
  }

  function showTimesIn(root) {
    if (root.matches && root.matches("time[datetime]")) showTime(root);
    if (root.querySelectorAll) root.querySelectorAll("time[datetime]").forEach(showTime);
  }

  // The server writes UTC (what a page without scripts shows); the reader sees their own time,
  // on load, in whatever later replaces part of the page (live.js's refreshes, the scripts'
  // timelines), and relative times move on while the page stays open.
  function startTimes() {
    showTimesIn(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) showTimesIn(node);
        });
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
    setInterval(function () {
      document.querySelectorAll("time[datetime]:not([data-time=clock])").forEach(showTime);
    }, 30000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startTimes);
  else startTimes();

  // Forms that take dates (search) send the reader's IANA time zone, which the days are in.
  function fillTimeZones() {
    var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    document.querySelectorAll("input[data-time-zone]").forEach(function (input) {
      if (!input.value) input.value = zone;
    });
  }

  if (document.readyState !== "loading") fillTimeZones();
  else document.addEventListener("DOMContentLoaded", fillTimeZones);

  window.Chatapp = {
    t: t, errorText: errorText, lang: lang, dateFormat: dateFormat, list: list,
    when: when, timeNode: timeNode,
  };
})();
