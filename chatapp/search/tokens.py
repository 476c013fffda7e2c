"""Turning text into index tokens, and queries into terms, the same way for every backend.

Word tokenizers cannot find 上海 inside 我家在上海东边 (no spaces between Chinese words) and
SQLite's trigram tokenizer needs three characters. So the text is tokenized here, before it
reaches the index (SQLite FTS5 or PostgreSQL), and each backend only spells the terms out in its
own query language:

- a run of CJK characters becomes its overlapping bigrams, then an end mark on the last
  character: 我家在上海 -> 我家 家在 在上 上海 海 (with the mark). Any two or more characters
  are a phrase of adjacent bigrams; one character is a prefix query on the bigrams (and the
  end mark) that start with it.
- other scripts become lower-case words; each query word matches as a word prefix.
- a quoted query is one phrase: its tokens must be adjacent, in order.

Every token is already what FTS5's ``unicode61`` tokenizer would make of it (split at anything
but letters, digits and private-use characters; Latin diacritics removed), so FTS5 stores these
tokens unchanged and PostgreSQL, which stores them as they are, holds the same ones.

Private-use characters mark the scope tokens (chat, sender, kind) the index adds to every
message; they are removed from user text so nobody can forge them.
"""

import re
import unicodedata
from typing import NamedTuple

END = "\ue000"  # closes a CJK run
CHAT, SENDER, KIND = "\ue001c", "\ue002u", "\ue003k"
# Kinds as searched -> the message types stored: "file" is the spec's "others", and "files"
# any message that carries a file.
KINDS = {"text": ("text",), "image": ("image",), "audio": ("audio",), "video": ("video",),
         "file": ("others",), "files": ("image", "audio", "video", "others")}

_CJK = (r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
        r"\U00020000-\U0003134f")
_RUNS = re.compile(rf"([{_CJK}]+)|([^\W{_CJK}]+)")
_PHRASE = re.compile(r'"([^"]*)"?|(\S+)')
_LATIN = ((0x00C0, 0x024F), (0x1E00, 0x1EFF))  # where unicode61 removes diacritics


class Term(NamedTuple):
    """One query term: tokens that must be adjacent and in order; ``prefix``: the last one
    may be the start of a longer token."""

    tokens: tuple[str, ...]
    prefix: bool


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Co").casefold()


def _plain(ch: str) -> str:
    """``ch`` without its diacritic, for Latin letters (as unicode61 remove_diacritics 2)."""
    base, *marks = unicodedata.normalize("NFD", ch)
    return base if base.isascii() and all(unicodedata.category(m) == "Mn" for m in marks) else ch


_PLAIN = {code: _plain(chr(code)) for lo, hi in _LATIN for code in range(lo, hi + 1)
          if _plain(chr(code)) != chr(code)}
# unicode61's token characters: letters, digits (``[^\W_]``) and private use (our marks).
_TOKEN = re.compile(r"(?:[^\W_]|[\ue000-\uf8ff])+")
# A character _split would change: a separator, or a Latin letter with a diacritic.
_UNUSUAL = re.compile(r"[^\w \ue000-\uf8ff]|_|[\u00c0-\u024f\u1e00-\u1eff]")


def _split(token: str) -> list[str]:
    """``token`` as unicode61 sees it: runs of letters, digits and private-use characters."""
    if token.isascii() and token.isalnum():
        return [token]
    return _TOKEN.findall(token.translate(_PLAIN))


def _pieces(text: str):
    """(kind, value) for each CJK run ("cjk") and word ("word") of ``text``, in order."""
    for cjk, word in _RUNS.findall(_normalise(text)):
        yield ("cjk", cjk) if cjk else ("word", word)


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def _tokens(raw) -> list[str]:
    if not _UNUSUAL.search(" ".join(raw)):
        return list(raw)  # the common case: nothing to split or fold
    return [part for token in raw for part in _split(token)]


def document_tokens(text: str, chat_id: int, sender_id: int, kind: str) -> list[str]:
    """The tokens indexed for one message, in order, scope tokens last."""
    raw = []
    for kind_of, value in _pieces(text):
        if kind_of == "cjk":
            raw += _bigrams(value)
            raw.append(value[-1] + END)
        else:
            raw.append(value)
    return _tokens(raw) + [scope_token(CHAT, chat_id), scope_token(SENDER, sender_id),
                           scope_token(KIND, kind)]


def document(text: str, chat_id: int, sender_id: int, kind: str) -> str:
    """The token string indexed for one message (FTS5 splits it at the spaces)."""
    return " ".join(document_tokens(text, chat_id, sender_id, kind))


def _term(kind_of: str, value: str) -> Term:
    """One unquoted query piece: a word prefix, a bigram phrase, or a one-character prefix."""
    if kind_of == "word" or len(value) == 1:
        return Term(tuple(_tokens([value])), True)
    return Term(tuple(_tokens(_bigrams(value))), False)


def _phrase(text: str) -> Term:
    """A quoted query: the tokens of ``text``, adjacent and in order."""
    pieces = list(_pieces(text))
    raw: list[str] = []
    for i, (kind_of, value) in enumerate(pieces):
        last = i == len(pieces) - 1
        if kind_of == "word":
            raw.append(value)
        elif len(value) == 1 and last:
            return Term(tuple(_tokens([*raw, value])), True)
        else:
            raw += _bigrams(value)
            if not last:
                raw.append(value[-1] + END)  # the next token follows the run's end
    return Term(tuple(_tokens(raw)), False)


def parse(query: str) -> tuple[list[Term], list[str]]:
    """(terms, which all must match; plain terms for highlighting) of a user query."""
    terms, highlights = [], []
    for quoted, bare in _PHRASE.findall(query or ""):
        if quoted:
            term = _phrase(quoted)
            if term.tokens:
                terms.append(term)
                highlights.append(_normalise(quoted).strip())
        else:
            for kind_of, value in _pieces(bare):
                term = _term(kind_of, value)
                if term.tokens:
                    terms.append(term)
                    highlights.append(value)
    return terms, [h for h in highlights if h]


def scope_token(tag: str, value) -> str:
    """The token that puts a message in one chat (``CHAT``), sender or kind."""
    return f"{tag}{value}"
