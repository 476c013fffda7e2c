"""The PostgreSQL index of messages: table ``message_fts`` (msg_id, body tsvector), GIN-indexed.

``body`` holds the same tokens as the SQLite index (``tokens.document_tokens``: words, CJK
bigrams, end marks, scope tokens), written as a tsvector literal with their positions, so no
text-search configuration touches them: a lexeme is exactly a token. A query is the same terms
as on SQLite spelled as a tsquery: a phrase is ``'a' <-> 'b'``, a prefix ``'depl':*``, and the
scope tokens are ANDed in, so the GIN index intersects the word with the user's chats.

The table is made by migration 0009. The SQL text here is assembled only from constants of this
module; every value, the tsvector and tsquery included, is a bound parameter.
"""

from sqlalchemy import bindparam, select, text

from ..extensions import db
from ..models import Message, MsgType
from . import tokens

_INSERT = text("INSERT INTO message_fts (msg_id, body) VALUES (:id, CAST(:body AS tsvector))")
# PostgreSQL refuses lexemes of 2 KiB or more; a longer token is indexed and sought by its start.
LEXEME_MAX_BYTES = 2046


# How many of the newest index rows the first step of a search reads.
WINDOW = 20_000


def _statements(before, since, until):
    """The three statements of ``find`` with the bounds given (the SQL only from constants)."""
    bound = " AND msg_id < :before" if before is not None else ""
    filters = "m.chat_id IN :chats"  # re-checks the scope tokens
    if since is not None:
        filters += " AND m.create_time >= :since"
    if until is not None:
        filters += " AND m.create_time < :until"
    recent = (
        "SELECT w.msg_id FROM (SELECT msg_id, body FROM message_fts WHERE true" + bound +  # noqa: S608
        " ORDER BY msg_id DESC LIMIT :window) AS w JOIN messages AS m ON m.msg_id = w.msg_id"
        " WHERE w.body @@ CAST(:match AS tsquery) AND " + filters +
        " ORDER BY w.msg_id DESC LIMIT :limit")
    # The oldest row of that window, or nothing when the window held every row.
    window_end = ("SELECT msg_id FROM message_fts WHERE true" + bound +  # noqa: S608
                  " ORDER BY msg_id DESC OFFSET :window - 1 LIMIT 1")
    # "ORDER BY msg_id + 0": not the primary key's order, so PostgreSQL reads the GIN index
    # and sorts the matches instead of walking every older row newest first.
    older = (
        "SELECT f.msg_id FROM message_fts AS f JOIN messages AS m ON m.msg_id = f.msg_id"  # noqa: S608
        " WHERE f.body @@ CAST(:match AS tsquery) AND f.msg_id < :oldest AND " + filters +
        " ORDER BY f.msg_id + 0 DESC LIMIT :limit")
    chats = bindparam("chats", expanding=True)
    return (text(recent).bindparams(chats), text(window_end), text(older).bindparams(chats))


def _lexeme(token: str) -> str:
    raw = token.encode()
    if len(raw) > LEXEME_MAX_BYTES:
        token = raw[:LEXEME_MAX_BYTES].decode(errors="ignore")
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def vector(document_tokens) -> str:
    """A tsvector literal of tokens at positions 1, 2, ... (adjacency is what phrases use)."""
    positions: dict[str, list[str]] = {}
    for position, token in enumerate(document_tokens, start=1):
        positions.setdefault(_lexeme(token), []).append(str(min(position, 16383)))
    return " ".join(f"{lexeme}:{','.join(at)}" for lexeme, at in positions.items())


def _term(term: tokens.Term) -> str:
    query = " <-> ".join(map(_lexeme, term.tokens)) + (":*" if term.prefix else "")
    return f"({query})" if len(term.tokens) > 1 else query


def _scope(tag: str, values) -> str:
    return "(" + " | ".join(_lexeme(tokens.scope_token(tag, v)) for v in values) + ")"


def tsquery(terms, chat_ids, sender_id=None, kind=None) -> str:
    """The tsquery literal of parsed ``terms`` within the chats (and sender, kind) given."""
    parts = [*map(_term, terms), _scope(tokens.CHAT, chat_ids)]
    if sender_id is not None:
        parts.append(_scope(tokens.SENDER, [sender_id]))
    if kind is not None:
        parts.append(_scope(tokens.KIND, tokens.KINDS[kind]))
    return " & ".join(parts)


def index_message(message: Message) -> None:
    if message.msg_type == MsgType.SYSTEM:
        return
    body = vector(tokens.document_tokens(message.msg_text, message.chat_id, message.sender_id,
                                         message.msg_type))
    db.session.execute(_INSERT, {"id": message.msg_id, "body": body})


def unindex_messages(msg_ids) -> None:
    ids = list(msg_ids)
    if ids:
        db.session.execute(text("DELETE FROM message_fts WHERE msg_id IN :ids")
                           .bindparams(bindparam("ids", expanding=True)), {"ids": ids})


def unindex_chat(chat_id: int) -> None:
    db.session.execute(text(
        "DELETE FROM message_fts WHERE msg_id IN (SELECT msg_id FROM messages WHERE chat_id = :c)"),
        {"c": chat_id})


def find(chat_ids, query: str, *, sender_id=None, kind=None, since=None, until=None,
         before=None, limit=20) -> tuple[list[int], list[str]]:
    """(ids of up to ``limit`` + 1 matching messages newest first, highlight terms).

    GIN answers "which rows match", not "which match last", and PostgreSQL's estimates for
    prefixes and phrases are too rough to choose between the two plans well. So the search
    goes in two steps of bounded cost: the newest ``WINDOW`` index rows, read newest first and
    tested one by one (a common word fills the page here, after a few hundred rows), then, for
    what is missing, the GIN index on everything older (only a rarer query gets here, and GIN
    costs what it matches).
    """
    terms, highlights = tokens.parse(query)
    chat_ids = list(chat_ids)
    if not terms or not chat_ids:
        return [], highlights
    recent, window_end, older = _statements(before, since, until)
    params = {"match": tsquery(terms, chat_ids, sender_id, kind), "chats": chat_ids,
              "limit": limit + 1, "window": WINDOW, "before": before, "since": since,
              "until": until}
    ids = list(db.session.scalars(recent, params))
    if len(ids) > limit:
        return ids, highlights
    oldest = db.session.scalar(window_end, params)
    if oldest is not None:
        ids += db.session.scalars(older, {**params, "oldest": oldest,
                                          "limit": limit + 1 - len(ids)})
    return ids, highlights


def rebuild(batch: int) -> int:
    # Sends and recalls wait until the new index commits (they would otherwise add rows the
    # rebuild adds too); searches go on reading the old one meanwhile.
    db.session.execute(text("LOCK TABLE message_fts IN EXCLUSIVE MODE"))
    db.session.execute(text("DELETE FROM message_fts"))
    count, last = 0, 0
    while True:
        rows = db.session.execute(
            select(Message.msg_id, Message.msg_text, Message.chat_id, Message.sender_id,
                   Message.msg_type)
            .where(Message.msg_id > last, Message.msg_type != MsgType.SYSTEM,
                   Message.recalled_at.is_(None))
            .order_by(Message.msg_id).limit(batch)).all()
        if not rows:
            return count
        db.session.execute(_INSERT, [
            {"id": r.msg_id, "body": vector(tokens.document_tokens(
                r.msg_text, r.chat_id, r.sender_id, r.msg_type))} for r in rows])
        count += len(rows)
        last = rows[-1].msg_id


def check() -> tuple[int, int]:
    # A message is searchable when it is not a notice and not recalled (index_message).
    missing = db.session.scalar(text(
        "SELECT count(*) FROM messages AS m WHERE m.msg_type != 'system' AND m.recalled_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM message_fts AS f WHERE f.msg_id = m.msg_id)"))
    stray = db.session.scalar(text(
        "SELECT count(*) FROM message_fts AS f WHERE NOT EXISTS (SELECT 1 FROM messages AS m "
        "WHERE m.msg_id = f.msg_id AND m.msg_type != 'system' AND m.recalled_at IS NULL)"))
    return missing, stray
