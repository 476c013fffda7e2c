"""Turning text into index tokens, and queries into FTS5 expressions, the same way.

SQLite's word tokenizers cannot find 上海 inside 我家在上海东边 (no spaces between Chinese
words) and its trigram tokenizer needs three characters. So the text is tokenized here, before
it reaches FTS5:

- a run of CJK characters becomes its overlapping bigrams, then an end mark on the last
  character: 我家在上海 -> 我家 家在 在上 上海 海 (with the mark). Any two or more characters
  are a phrase of adjacent bigrams; one character is a prefix query on the bigrams (and the
  end mark) that start with it, answered by FTS5's one-character prefix index.
- other scripts become lower-case words; each query word matches as a word prefix.
- a quoted query is one phrase: its tokens must be adjacent, in order.

Private-use characters mark the scope tokens (chat, sender, kind) the index adds to every
message; they are removed from user text so nobody can forge them.
"""

import re
import unicodedata

END = "\ue000"  # closes a CJK run
CHAT, SENDER, KIND = "\ue001c", "\ue002u", "\ue003k"

_CJK = (r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
        r"\U00020000-\U0003134f")
_RUNS = re.compile(rf"([{_CJK}]+)|([^\W{_CJK}]+)")
_PHRASE = re.compile(r'"([^"]*)"?|(\S+)')


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Co").casefold()


def _pieces(text: str):
    """(kind, value) for each CJK run ("cjk") and word ("word") of ``text``, in order."""
    for cjk, word in _RUNS.findall(_normalise(text)):
        yield ("cjk", cjk) if cjk else ("word", word)


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def document(text: str, chat_id: int, sender_id: int, kind: str) -> str:
    """The token string indexed for one message."""
    tokens = []
    for kind_of, value in _pieces(text):
        if kind_of == "cjk":
            tokens += _bigrams(value)
            tokens.append(value[-1] + END)
        else:
            tokens.append(value)
    tokens += [f"{CHAT}{chat_id}", f"{SENDER}{sender_id}", f"{KIND}{kind}"]
    return " ".join(tokens)


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _term(kind_of: str, value: str) -> str:
    """One unquoted query piece: a word prefix, a bigram phrase, or a one-character prefix."""
    if kind_of == "word":
        return _quote(value) + "*"
    if len(value) == 1:
        return _quote(value) + "*"
    return _quote(" ".join(_bigrams(value)))


def _phrase(text: str) -> str | None:
    """A quoted query: the tokens of ``text``, adjacent and in order."""
    pieces = list(_pieces(text))
    tokens: list[str] = []
    for i, (kind_of, value) in enumerate(pieces):
        last = i == len(pieces) - 1
        if kind_of == "word":
            tokens.append(value)
        elif len(value) == 1 and last:
            return _quote(" ".join([*tokens, value])) + "*"
        else:
            tokens += _bigrams(value)
            if not last:
                tokens.append(value[-1] + END)  # the next token follows the run's end
    return _quote(" ".join(tokens)) if tokens else None


def parse(query: str) -> tuple[list[str], list[str]]:
    """(FTS5 terms, which all must match; plain terms for highlighting) of a user query."""
    terms, highlights = [], []
    for quoted, bare in _PHRASE.findall(query or ""):
        if quoted:
            phrase = _phrase(quoted)
            if phrase:
                terms.append(phrase)
                highlights.append(_normalise(quoted).strip())
        else:
            for kind_of, value in _pieces(bare):
                terms.append(_term(kind_of, value))
                highlights.append(value)
    return terms, [h for h in highlights if h]


def scope(tag: str, values) -> str:
    """An FTS5 expression matching any of ``values`` for one scope tag."""
    return "(" + " OR ".join(_quote(f"{tag}{v}") for v in values) + ")"
