"""Message formatting read on the server: the plain text of a message, for its previews.

A message's text is stored as typed; clients draw its formatting (bold, italic, code, code
blocks, links) with ``static/js/chat/format.js``, whose header defines the grammar. Previews the
server writes itself (the chat list's last message, search snippets) show the plain text:
the same reading with the markers dropped. This module is that grammar a second time, step
for step, so both read every text alike (``tests/test_formatting.py`` runs the two on one
table of cases). It scans each line once: no input is slow.
"""

import re
import unicodedata

from flask_babel import gettext

# JavaScript's \s, as format.js spells it out.
SPACE = ("\t\n\v\f\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
         + "\u2028\u2029\u202f\u205f\u3000\ufeff")
_SPACE = frozenset(SPACE)
# Scripts written without spaces between words: a letter of theirs is no word's inside.
_CJK = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
        (0xAC00, 0xD7AF), (0x20000, 0x3134F))
_ASCII_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_OPEN_AFTER = "([{\"'*_"
_URL_END = ".,;:!?'\"*_"
_FENCE = re.compile(r"```[A-Za-z0-9_+#.-]{0,20}")


def _blank(text: str) -> bool:
    return all(ch in _SPACE for ch in text)


def _letter(ch: str) -> bool:
    """A letter or digit of any script (\\p{L} or \\p{N})."""
    return bool(ch) and unicodedata.category(ch)[0] in "LN"


def _word_char(ch: str) -> bool:
    """A letter or digit of a script that puts spaces between words."""
    return _letter(ch) and not any(lo <= ord(ch) <= hi for lo, hi in _CJK)


def _has_letter(text: str) -> bool:
    return any(_letter(ch) for ch in text)


def _url_char(ch: str) -> bool:
    return ch not in _SPACE and ch not in '<>"'


def _add(nodes: list, node) -> None:
    """Add ``node`` to ``nodes``, joining it to a text before it."""
    if isinstance(node, str):
        if not node:
            return
        if nodes and isinstance(nodes[-1], str):
            nodes[-1] += node
            return
    nodes.append(node)


def _backtick_runs(line: str) -> dict[int, tuple[int, int]]:
    """Each run of backticks: start -> (end, start of the next run of its length or -1)."""
    runs, i = [], 0
    while i < len(line):
        if line[i] != "`":
            i += 1
            continue
        j = i
        while j < len(line) and line[j] == "`":
            j += 1
        runs.append((i, j))
        i = j
    found, next_of_length = {}, {}
    for start, end in reversed(runs):
        found[start] = (end, next_of_length.get(end - start, -1))
        next_of_length[end - start] = start
    return found


def _trim_url(raw: str) -> str:
    """"see https://x.org/a)." -> https://x.org/a ; the ")." stays text."""
    opens, closes, end = raw.count("("), raw.count(")"), len(raw)
    while True:
        while end > 0 and raw[end - 1] in _URL_END:
            end -= 1
        if end > 0 and raw[end - 1] == ")" and opens < closes:
            end -= 1
            closes -= 1
            continue
        return raw[:end]


def _scheme_at(line: str, i: int) -> int:
    start = line[i:i + 8].lower()
    return 8 if start.startswith("https://") else 7 if start.startswith("http://") else 0


def _url_at(line: str, i: int) -> str | None:
    if i > 0 and line[i - 1] in _ASCII_WORD:
        return None
    scheme = _scheme_at(line, i)
    if not scheme:
        return None
    k = i + scheme
    while k < len(line) and _url_char(line[k]):
        k += 1
    url = _trim_url(line[i:k])
    return url if len(url) > scheme else None


def _link_at(line: str, i: int):
    """[label](http...) starting at ``i``: (label, address, end), or None."""
    m = i + 1
    while m < len(line) and line[m] not in "[]":
        m += 1
    if (line[m:m + 1] != "]" or _blank(line[i + 1:m]) or line[m + 1:m + 2] != "("):
        return None
    start = m + 2
    host = start + _scheme_at(line, start)
    if host == start or host >= len(line) or line[host] in "/?#)":
        return None
    depth = 0
    for k in range(host, len(line)):
        ch = line[k]
        if ch == ")":
            if depth == 0:
                return line[i + 1:m], line[start:k], k + 1
            depth -= 1
        elif ch == "(":
            depth += 1
        elif not _url_char(ch) or ch in "[]":
            return None
    return None


def _marker(line: str, i: int, j: int) -> dict:
    before = line[i - 1] if i > 0 else ""
    after = line[j] if j < len(line) else ""
    opens_after = (not before or before in _SPACE or before in _OPEN_AFTER
                   or (ord(before) > 0x7F and not _word_char(before)))
    return {"mark": line[i:j],
            "open": bool(after) and after not in _SPACE and opens_after,
            "close": bool(before) and before not in _SPACE and not _word_char(after)}


def _read_line(line: str) -> list:
    items: list = []
    runs, i, start = None, 0, 0  # start: where the text not yet in ``items`` begins
    while i < len(line):
        ch, j, node = line[i], i + 1, None
        if ch == "`":
            runs = runs if runs is not None else _backtick_runs(line)
            run = runs.get(i)
            j = run[0] if run else j
            if run and run[1] != -1 and not _blank(line[j:run[1]]):
                node, end = ["code", line[j:run[1]]], run[1] + (j - i)
            while j < len(line) and line[j] == "`":
                j += 1
        elif ch == "[":
            link = _link_at(line, i)
            if link:
                node, end = ["link", link[0], link[1]], link[2]
        elif ch in "hH":
            url = _url_at(line, i)
            if url:
                node, end = ["url", url], i + len(url)
        elif ch in "*_":
            while j < len(line) and line[j] == ch:
                j += 1
            if j - i == 1 or (ch == "*" and j - i == 2):
                marker = _marker(line, i, j)
                if marker["open"] or marker["close"]:
                    node, end = marker, j
        if node is None:
            i = j
            continue
        if i > start:
            items.append(line[start:i])
        items.append(node)
        i = start = end
    if start < len(line):
        items.append(line[start:])
    return _emphasis(items)


def _emphasis(items: list) -> list:
    """Pair the markers of a line and build its nodes; unpaired markers are text."""
    stack, open_count = [], {}
    for item in items:
        if not isinstance(item, dict):
            continue
        if item["close"] and open_count.get(item["mark"]):
            while True:
                opener = stack.pop()
                open_count[opener["mark"]] -= 1
                if opener["mark"] == item["mark"]:
                    opener["pair"] = True
                    item["closes"] = True
                    break
            continue
        if item["open"]:
            stack.append(item)
            open_count[item["mark"]] = open_count.get(item["mark"], 0) + 1
    frames = [{"nodes": [], "letters": False}]
    for item in items:
        top = frames[-1]
        if isinstance(item, str):
            _add(top["nodes"], item)
            top["letters"] = top["letters"] or _has_letter(item)
        elif isinstance(item, list):
            _add(top["nodes"], item)
            top["letters"] = True
        elif item.get("pair"):
            frames.append({"nodes": [], "letters": False, "mark": item["mark"]})
        elif item.get("closes"):
            done = frames.pop()
            parent = frames[-1]
            if done["letters"]:
                _add(parent["nodes"], ["strong" if done["mark"] == "**" else "em",
                                       done["nodes"]])
                parent["letters"] = True
            else:  # nothing to emphasise (*_*): the markers stay text
                for node in [done["mark"], *done["nodes"], done["mark"]]:
                    _add(parent["nodes"], node)
        else:
            _add(top["nodes"], item["mark"])
    return frames[0]["nodes"]


def _fence(line: str) -> str:
    """``line`` without its trailing spaces if it starts with ``` (a fence), else ""."""
    if not line.startswith("```"):
        return ""
    end = len(line)
    while end > 3 and line[end - 1] in _SPACE:
        end -= 1
    return line[:end]


def parse(text: str) -> list:
    """``text`` read as format.js's ``parse`` reads it: a list of nodes (a string is text;
    ["strong", nodes], ["em", nodes], ["code", text], ["pre", text], ["link", label,
    address], ["url", address])."""
    lines = (text or "").split("\n")
    closer = [-1] * (len(lines) + 1)  # the first line from i on that closes a code block
    for c in range(len(lines) - 1, -1, -1):
        closer[c] = c if _fence(lines[c]) == "```" else closer[c + 1]
    nodes: list = []
    after_block, i = True, 0
    while i < len(lines):
        end = closer[i + 1] if _FENCE.fullmatch(_fence(lines[i])) else -1
        content = "\n".join(lines[i + 1:end]) if end != -1 else ""
        if end != -1 and not _blank(content):
            nodes.append(["pre", content])
            i, after_block = end + 1, True
            continue
        if not after_block:
            _add(nodes, "\n")
        for node in _read_line(lines[i]):
            _add(nodes, node)
        after_block, i = False, i + 1
    return nodes


def plain_text(text: str) -> str:
    """``text`` without its formatting: a link reads as its label, a code block as its lines."""
    out: list[str] = []
    block_before = False
    for index, top in enumerate(parse(text)):
        block = isinstance(top, list) and top[0] == "pre"
        if index and (block or block_before):
            out.append("\n")  # a code block is lines of its own
        block_before = block
        pending = [top]  # depth first, without recursion: emphasis may nest deeply
        while pending:
            node = pending.pop()
            if isinstance(node, str):
                out.append(node)
            elif node[0] == "link":
                out.append(node[1])
            elif node[0] in ("strong", "em"):
                pending.extend(reversed(node[1]))
            else:
                out.append(node[1])
    return "".join(out)


_MENTION = re.compile(r"<@(\d{1,19}|all)>")


def preview_text(message: dict) -> str:
    """What a server-drawn preview reads of a text message (a payload): its plain text, with
    each mention token as "@name" (the names the payload carries; a token naming nobody stays
    as written). The web client does the same in chat/mentions.js."""
    names = {str(u["user_id"]): u["user_name"] for u in message.get("mentions") or []}

    def name(match: re.Match) -> str:
        who = match.group(1)
        if who == "all":
            return "@" + gettext("everyone") if message.get("mentions_all") else match.group(0)
        return "@" + names[who] if who in names else match.group(0)

    return _MENTION.sub(name, plain_text(message.get("msg_text") or ""))
