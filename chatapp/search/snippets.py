"""Short excerpts of a message around what a search matched, as plain-text segments.

A snippet is a list of ``{"text": ..., "match": bool}``: clients render each segment as text
and mark the matches, so no user text ever becomes HTML.
"""

import re

WINDOW_BEFORE, WINDOW_AFTER = 30, 90


def _spans(text: str, highlights) -> list[tuple[int, int]]:
    lowered = text.lower()
    spans = []
    for term in highlights:
        term = term.lower()
        if not term:
            continue
        # Words match as word prefixes; CJK and phrases anywhere.
        pattern = (rf"(?<!\w){re.escape(term)}" if re.fullmatch(r"[^\W\d_]\w*|\d+", term)
                   and term.isascii() else re.escape(term))
        spans += [(m.start(), m.end()) for m in re.finditer(pattern, lowered)]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, highlights) -> list[dict]:
    """The part of ``text`` around its first match, split into matched and plain segments."""
    spans = _spans(text, highlights)
    first = spans[0][0] if spans else 0
    start = max(0, first - WINDOW_BEFORE)
    end = min(len(text), first + WINDOW_AFTER)
    segments, cursor = [], start
    if start > 0:
        segments.append({"text": "…", "match": False})
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > cursor:
            segments.append({"text": text[cursor:s], "match": False})
        segments.append({"text": text[s:e], "match": True})
        cursor = e
    if cursor < end:
        segments.append({"text": text[cursor:end], "match": False})
    if end < len(text):
        segments.append({"text": "…", "match": False})
    return segments
