/* chatapp message formatting: the small subset of markup a message may use, drawn as DOM nodes.
 *
 * The server keeps a message's text exactly as typed (what editing shows, what the API
 * returns); only clients draw it. Nothing here ever becomes markup: every piece of the text is
 * a text node or the text of an element made one by one, and links are <a> elements only for
 * http and https addresses. chatapp/formatting.py reads the same grammar for the server's
 * previews (the chat list, search snippets); tests/test_formatting.py checks both agree.
 *
 * The grammar, conservative on purpose (what is not exactly this stays as typed):
 *
 * - Code block: a line that is ``` (optionally followed by a language name of up to 20 of
 *   A-Z a-z 0-9 _ + # . -, not shown), up to the next line that is only ```; trailing spaces
 *   are allowed on both. The lines between (at least one not blank) are the content, taken
 *   literally, line breaks kept. A fence without its closing line is text.
 * - Everything else is read line by line: nothing inline pairs across a line break. Left to
 *   right, whichever starts first:
 *   - Code span: a run of N backticks up to the next run of exactly N backticks on the line,
 *     with something not blank between; the content is literal (no formatting, no links).
 *   - Link: [label](address): the label has no [ or ] and is not blank; the address starts
 *     with http:// or https:// (any case), has a host, no spaces, < > " [ or ], and balanced
 *     parentheses. The label is literal. Any other address ([x](javascript:...)) is text.
 *   - Address: http:// or https:// not preceded by a letter, digit or _ , up to a space, < > or
 *     "; trailing . , ; : ! ? ' " * _ and unbalanced ) are not part of it (as before).
 *   - Emphasis markers: a run of exactly ** (bold), * or _ (italic); longer runs are text.
 *     A marker opens when a non-space follows it and it follows nothing, a space, one of
 *     ( [ { " ' * _ , or a character beyond ASCII that is not a letter or digit of a spaced
 *     script (CJK characters and punctuation count as such: 很**好**的 works); it closes when
 *     a non-space precedes it and no letter or digit of a spaced script follows. So markers
 *     inside words never count: 2*3*4, a**b**c and snake_case stay as typed, and neither do
 *     emoticons (^_^, -_-). A closer pairs with the nearest open marker of the same kind;
 *     open markers in between stay text. A pair whose content has no letter, digit, code,
 *     link or address stays text too (*_*). Bold and italic nest.
 * Plain text (previews, notifications, screen readers): the same reading, markers and fences
 * dropped: a link reads as its label, a code block as its lines.
 *
 * The parser scans each line once (no backtracking patterns), so no input is slow.
 */
import { el } from "../dom.js";

// JavaScript's \s, spelt out so formatting.py can use exactly the same set.
var SPACE = "\t\n\u000b\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";
var IS_SPACE = new RegExp("^[" + SPACE + "]$");
var BLANK = new RegExp("^[" + SPACE + "]*$");
// Scripts written without spaces between words: a letter of theirs is no word's inside.
var CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u{20000}-\u{3134f}";
var IS_CJK = new RegExp("^[" + CJK + "]$", "u");
var IS_LETTER = /^[\p{L}\p{N}]$/u;
var HAS_LETTER = /[\p{L}\p{N}]/u;
var ASCII_WORD = /^[A-Za-z0-9_]$/;
var OPEN_AFTER = "([{\"'*_";
var URL_END = ".,;:!?'\"*_";
var FENCE = /^```[A-Za-z0-9_+#.-]{0,20}$/;

function isSpace(ch) { return IS_SPACE.test(ch); }
function isBlank(text) { return BLANK.test(text); }
// A letter or digit of a script that puts spaces between words (Latin, Cyrillic, ...).
function isWordChar(ch) { return IS_LETTER.test(ch) && !IS_CJK.test(ch); }
function urlChar(ch) { return !isSpace(ch) && ch !== "<" && ch !== ">" && ch !== "\""; }

// The whole character (code point) before index i / at index i of a line; "" at the edges.
function charBefore(line, i) {
  if (i <= 0) return "";
  var low = line.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    var high = line.charCodeAt(i - 2);
    if (high >= 0xd800 && high <= 0xdbff) return line.slice(i - 2, i);
  }
  return line[i - 1];
}

function charAt(line, i) {
  return i < line.length ? String.fromCodePoint(line.codePointAt(i)) : "";
}

/* --- reading ---------------------------------------------------------------------------- */

// Adds ``node`` to ``list``, joining it to a text before it.
function add(list, node) {
  if (typeof node === "string") {
    if (!node) return;
    if (typeof list[list.length - 1] === "string") {
      list[list.length - 1] += node;
      return;
    }
  }
  list.push(node);
}

// For each run of backticks of a line, where it ends and where the next run of the same
// length starts (-1: none). Keys are the runs' starts.
function backtickRuns(line) {
  var runs = [];
  for (var i = 0; i < line.length;) {
    if (line[i] !== "`") { i++; continue; }
    var j = i;
    while (j < line.length && line[j] === "`") j++;
    runs.push({ start: i, end: j });
    i = j;
  }
  var byStart = {}, nextOfLength = {};
  for (var k = runs.length - 1; k >= 0; k--) {
    var length = runs[k].end - runs[k].start;
    runs[k].next = length in nextOfLength ? nextOfLength[length] : -1;
    nextOfLength[length] = runs[k].start;
    byStart[runs[k].start] = runs[k];
  }
  return byStart;
}

// "see https://x.org/a)." -> the address is https://x.org/a ; the ")." stays text.
function trimUrl(raw) {
  var opens = 0, closes = 0, end = raw.length;
  for (var i = 0; i < raw.length; i++) {
    if (raw[i] === "(") opens++;
    else if (raw[i] === ")") closes++;
  }
  for (;;) {
    while (end > 0 && URL_END.indexOf(raw[end - 1]) !== -1) end--;
    if (end > 0 && raw[end - 1] === ")" && opens < closes) {
      end--;
      closes--;
      continue;
    }
    return raw.slice(0, end);
  }
}

// The length of "http://" or "https://" (any case) at ``i``, else 0.
function schemeAt(line, i) {
  var start = line.slice(i, i + 8).toLowerCase();
  return start.startsWith("https://") ? 8 : start.startsWith("http://") ? 7 : 0;
}

// A bare address starting at ``i``, or null.
function urlAt(line, i) {
  if (ASCII_WORD.test(charBefore(line, i))) return null;
  var scheme = schemeAt(line, i);
  if (!scheme) return null;
  var k = i + scheme;
  while (k < line.length && urlChar(line[k])) k++;
  var url = trimUrl(line.slice(i, k));
  return url.length > scheme ? url : null;
}

// [label](http...) starting at ``i`` (a "["): {label, url, end}, or null.
function linkAt(line, i) {
  var m = i + 1;
  while (m < line.length && line[m] !== "]" && line[m] !== "[") m++;
  if (line[m] !== "]" || isBlank(line.slice(i + 1, m)) || line[m + 1] !== "(") return null;
  var start = m + 2;
  var host = start + schemeAt(line, start);
  if (host === start || host >= line.length || "/?#)".indexOf(line[host]) !== -1) return null;
  var depth = 0;
  for (var k = host; k < line.length; k++) {
    var ch = line[k];
    if (ch === ")") {
      if (depth === 0) {
        return { label: line.slice(i + 1, m), url: line.slice(start, k), end: k + 1 };
      }
      depth--;
    } else if (ch === "(") {
      depth++;
    } else if (!urlChar(ch) || ch === "[" || ch === "]") {
      return null;
    }
  }
  return null;
}

// An emphasis marker of ``line`` from i to j: whether it may open and close.
function marker(line, i, j) {
  var before = charBefore(line, i), after = charAt(line, j);
  var opensAfter = !before || isSpace(before) || OPEN_AFTER.indexOf(before) !== -1
    || (before > "\x7f" && !isWordChar(before));
  return {
    mark: line.slice(i, j),
    open: Boolean(after) && !isSpace(after) && opensAfter,
    close: Boolean(before) && !isSpace(before) && !isWordChar(after),
  };
}

// One line: text, atoms (code spans, links, addresses) and markers, then emphasis.
function readLine(line) {
  var items = [], runs = null;
  var start = 0;  // where the text not yet in ``items`` begins
  for (var i = 0; i < line.length;) {
    var ch = line[i], j = i + 1, node = null, end = 0;
    if (ch === "`") {
      runs = runs || backtickRuns(line);
      var run = runs[i];
      j = run ? run.end : j;
      if (run && run.next !== -1 && !isBlank(line.slice(j, run.next))) {
        node = ["code", line.slice(j, run.next)];
        end = run.next + (j - i);
      }
      while (j < line.length && line[j] === "`") j++;
    } else if (ch === "[") {
      var link = linkAt(line, i);
      if (link) {
        node = ["link", link.label, link.url];
        end = link.end;
      }
    } else if (ch === "h" || ch === "H") {
      var url = urlAt(line, i);
      if (url) {
        node = ["url", url];
        end = i + url.length;
      }
    } else if (ch === "*" || ch === "_") {
      while (j < line.length && line[j] === ch) j++;
      if (j - i === 1 || (ch === "*" && j - i === 2)) {
        var m = marker(line, i, j);
        if (m.open || m.close) {
          node = m;
          end = j;
        }
      }
    }
    if (!node) {
      i = j;
      continue;
    }
    if (i > start) items.push(line.slice(start, i));
    items.push(node);
    i = start = end;
  }
  if (start < line.length) items.push(line.slice(start));
  return emphasis(items);
}

// Pairs the markers of one line (closers with the nearest open marker of their kind) and
// builds the line's nodes; unpaired markers are text.
function emphasis(items) {
  var stack = [], open = {};
  items.forEach(function (item) {
    if (!item.mark) return;
    if (item.close && open[item.mark]) {
      for (;;) {
        var opener = stack.pop();
        open[opener.mark]--;
        if (opener.mark === item.mark) {
          opener.pair = item;
          item.closes = true;
          return;
        }
      }
    }
    if (item.open) {
      stack.push(item);
      open[item.mark] = (open[item.mark] || 0) + 1;
    }
  });
  var frames = [{ nodes: [], letters: false }];
  items.forEach(function (item) {
    var top = frames[frames.length - 1];
    if (typeof item === "string") {
      add(top.nodes, item);
      top.letters = top.letters || HAS_LETTER.test(item);
    } else if (!item.mark) {
      add(top.nodes, item);
      top.letters = true;
    } else if (item.pair) {
      frames.push({ nodes: [], letters: false, mark: item.mark });
    } else if (item.closes) {
      var done = frames.pop(), parent = frames[frames.length - 1];
      if (done.letters) {
        add(parent.nodes, [done.mark === "**" ? "strong" : "em", done.nodes]);
        parent.letters = true;
      } else {  // nothing to emphasise (*_*): the markers stay text
        add(parent.nodes, done.mark);
        done.nodes.forEach(function (node) { add(parent.nodes, node); });
        add(parent.nodes, done.mark);
      }
    } else {
      add(top.nodes, item.mark);
    }
  });
  return frames[0].nodes;
}

// A line without its trailing spaces, if it starts with ``` (a fence), else "".
function fence(line) {
  if (!line.startsWith("```")) return "";
  var end = line.length;
  while (end > 3 && isSpace(line[end - 1])) end--;
  return line.slice(0, end);
}

/** ``text`` read as a list of nodes: a string is text; ["strong", nodes], ["em", nodes],
 * ["code", text], ["pre", text] (a code block), ["link", label, address], ["url", address]. */
function parse(text) {
  var lines = String(text || "").split("\n");
  var closer = [];  // closer[i]: the first line from i on that closes a code block, or -1
  closer[lines.length] = -1;
  for (var c = lines.length - 1; c >= 0; c--) {
    closer[c] = fence(lines[c]) === "```" ? c : closer[c + 1];
  }
  var nodes = [], afterBlock = true;
  for (var i = 0; i < lines.length; i++) {
    var end = FENCE.test(fence(lines[i])) ? closer[i + 1] : -1;
    var content = end === -1 ? "" : lines.slice(i + 1, end).join("\n");
    if (end !== -1 && !isBlank(content)) {
      nodes.push(["pre", content]);
      i = end;
      afterBlock = true;
      continue;
    }
    if (!afterBlock) add(nodes, "\n");
    readLine(lines[i]).forEach(function (node) { add(nodes, node); });
    afterBlock = false;
  }
  return nodes;
}

/* --- plain text and DOM nodes ------------------------------------------------------------ */

function nodeText(node, out) {
  if (typeof node === "string") {
    out.push(node);
  } else if (node[0] === "strong" || node[0] === "em") {
    node[1].forEach(function (n) { nodeText(n, out); });
  } else {
    out.push(node[1]);  // code, pre, url: their text; link: its label
  }
}

/** ``text`` without its formatting: what previews, notifications and screen readers read. */
function plainText(text) {
  var out = [];
  parse(text).forEach(function (node, i, nodes) {
    var block = node[0] === "pre";
    if (i > 0 && (block || nodes[i - 1][0] === "pre")) out.push("\n");
    nodeText(node, out);
  });
  return out.join("");
}

function safeHref(text) {
  try {
    var url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (e) {
    return null;
  }
}

function link(text, address, titled) {
  var href = safeHref(address);
  if (!href) return document.createTextNode(text);  // an address no browser can open
  var a = el("a", "msg-link", text);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  if (titled) a.title = href;  // where a label leads
  return a;
}

function draw(node) {
  if (typeof node === "string") return document.createTextNode(node);
  switch (node[0]) {
    case "code": return el("code", "msg-code", node[1]);
    case "pre": {
      var pre = el("pre", "msg-pre");
      pre.append(el("code", null, node[1]));
      return pre;
    }
    case "link": return link(node[1], node[2], true);
    case "url": return link(node[1], node[1], false);
    default: {
      var box = el(node[0]);  // strong, em
      node[1].forEach(function (child) { box.append(draw(child)); });
      return box;
    }
  }
}

/** ``text`` drawn with its formatting, as a DocumentFragment of text nodes and elements. */
function formatted(text) {
  var box = document.createDocumentFragment();
  parse(text).forEach(function (node) { box.append(draw(node)); });
  return box;
}

export { formatted, parse, plainText };
