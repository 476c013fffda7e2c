/* chatapp times: every time a person reads, in their time zone and language.
 *
 * The server writes <time datetime="ISO"> in UTC (what a page without scripts shows); start()
 * shows each in the reader's zone, on load and in whatever later replaces part of the page
 * (refresh.js's swaps, the conversation's timeline), and relative times move on while the page
 * stays open. Dates use the page's language, with the reader's region when the browser names
 * one of the same language ("en" read with en-GB: a 24-hour clock); "zh-Hans" keeps its script.
 */
import { lang, t } from "./strings.js";

const timeLocale = (function () {
  if (!lang || lang.indexOf("-") >= 0) return lang;
  const own = navigator.languages || [navigator.language];
  for (const tag of own) {
    if (tag && tag.split("-")[0].toLowerCase() === lang.toLowerCase()) return tag;
  }
  return lang;
})();

/** An Intl.DateTimeFormat in the page's language (the browser's if it does not know it). */
export function dateFormat(options) {
  try {
    return new Intl.DateTimeFormat(timeLocale, options);
  } catch (e) {
    return new Intl.DateTimeFormat(undefined, options);
  }
}

const clockFormat = dateFormat({ hour: "numeric", minute: "2-digit" });
const fullFormat = dateFormat({ dateStyle: "full", timeStyle: "short" });
const weekdayFormat = dateFormat({ weekday: "long" });
const monthDayFormat = dateFormat({ month: "short", day: "numeric" });
const dateOnlyFormat = dateFormat({ year: "numeric", month: "short", day: "numeric" });
const relative = (function () {
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
export function when(value, style) {
  const date = toDate(value);
  if (isNaN(date.getTime())) return null;
  const shown = { text: clockFormat.format(date), title: fullFormat.format(date) };
  if (style === "clock") return shown;
  const now = new Date();
  const ago = (now - date) / 1000;
  const today = dayStart(now, 0);
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
  const stamp = node.getAttribute("datetime");
  const shown = stamp && when(stamp, node.getAttribute("data-time") || "auto");
  if (!shown) return;
  if (node.textContent !== shown.text) node.textContent = shown.text;
  if (node.title !== shown.title) node.title = shown.title;
}

/** A new <time> element for ``value`` (see toDate) in ``style`` ("auto" or "clock"). */
export function timeNode(value, style) {
  const node = document.createElement("time");
  node.dateTime = toDate(value).toISOString();
  if (style) node.setAttribute("data-time", style);
  showTime(node);
  return node;
}

function showTimesIn(root) {
  if (root.matches && root.matches("time[datetime]")) showTime(root);
  if (root.querySelectorAll) root.querySelectorAll("time[datetime]").forEach(showTime);
}

/** Show every time of the page, and every time added later, and keep relative ones moving. */
export function start() {
  showTimesIn(document);
  new MutationObserver((changes) => {
    changes.forEach((change) => {
      change.addedNodes.forEach((node) => {
        if (node.nodeType === 1) showTimesIn(node);
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
  setInterval(() => {
    document.querySelectorAll("time[datetime]:not([data-time=clock])").forEach(showTime);
  }, 30000);
}

/** Forms that take dates (search) send the reader's IANA time zone, which the days are in:
 * every input[data-time-zone] left empty gets it. */
export function fillTimeZones(root = document) {
  const zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  root.querySelectorAll("input[data-time-zone]").forEach((input) => {
    if (!input.value) input.value = zone;
  });
}
