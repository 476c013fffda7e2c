"""The SQLite FTS5 index of messages: table ``message_fts``, rowid = msg_id.

Each row holds the tokens of ``tokens.document``: the message's words and CJK bigrams plus
scope tokens for its chat, sender and kind. Scoping a search to a user's chats is part of the
MATCH expression, so FTS5 intersects posting lists instead of the query testing every match
against a joined column (which degrades to a scan for common words).

The SQL text here is assembled only from constants of this module; every value, the MATCH
expression included, is a bound parameter.
"""

from sqlalchemy import bindparam, text

from ..extensions import db
from ..models import Message, MsgType
from . import tokens

TABLE = "message_fts"
CREATE = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
          "body, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')")


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _match(term: tokens.Term) -> str:
    """One term as an FTS5 phrase, a prefix phrase when the term is one."""
    return _quote(" ".join(term.tokens)) + ("*" if term.prefix else "")


def _scope(tag: str, values) -> str:
    return "(" + " OR ".join(_quote(tokens.scope_token(tag, v)) for v in values) + ")"


def index_message(message: Message) -> None:
    if message.msg_type == MsgType.SYSTEM:
        return
    body = tokens.document(message.msg_text, message.chat_id, message.sender_id,
                           message.msg_type)
    db.session.execute(text(f"INSERT INTO {TABLE} (rowid, body) VALUES (:id, :body)"),
                       {"id": message.msg_id, "body": body})


def unindex_messages(msg_ids) -> None:
    ids = list(msg_ids)
    if ids:
        db.session.execute(text(f"DELETE FROM {TABLE} WHERE rowid IN :ids")
                           .bindparams(bindparam("ids", expanding=True)), {"ids": ids})


def unindex_chat(chat_id: int) -> None:
    db.session.execute(text(
        f"DELETE FROM {TABLE} WHERE rowid IN (SELECT msg_id FROM messages WHERE chat_id = :c)"),
        {"c": chat_id})


def find(chat_ids, query: str, *, sender_id=None, kind=None, since=None, until=None,
         before=None, limit=20) -> tuple[list[int], list[str]]:
    """(ids of up to ``limit`` + 1 matching messages newest first, highlight terms)."""
    terms, highlights = tokens.parse(query)
    chat_ids = list(chat_ids)
    if not terms or not chat_ids:
        return [], highlights
    parts = [*map(_match, terms), _scope(tokens.CHAT, chat_ids)]
    if sender_id is not None:
        parts.append(_scope(tokens.SENDER, [sender_id]))
    if kind is not None:
        parts.append(_scope(tokens.KIND, tokens.KINDS[kind]))
    where = [f"{TABLE} MATCH :match", "m.chat_id IN :chats"]  # the join re-checks the scope
    params = {"match": " AND ".join(parts), "chats": chat_ids, "limit": limit + 1}
    if before is not None:
        where.append("f.rowid < :before")
        params["before"] = before
    if since is not None:
        where.append("m.create_time >= :since")
        params["since"] = since
    if until is not None:
        where.append("m.create_time < :until")
        params["until"] = until
    stmt = text(
        f"SELECT f.rowid FROM message_fts AS f JOIN messages AS m ON m.msg_id = f.rowid "
        f"WHERE {' AND '.join(where)} ORDER BY f.rowid DESC LIMIT :limit"
    ).bindparams(bindparam("chats", expanding=True))
    return list(db.session.scalars(stmt, params)), highlights


def rebuild(batch: int) -> int:
    from sqlalchemy import select

    db.session.execute(text(f"DELETE FROM {TABLE}"))
    count, last = 0, 0
    while True:
        rows = list(db.session.scalars(
            select(Message).where(Message.msg_id > last, Message.msg_type != MsgType.SYSTEM,
                                  Message.recalled_at.is_(None))
            .order_by(Message.msg_id).limit(batch)))
        if not rows:
            return count
        for message in rows:
            index_message(message)
        count += len(rows)
        last = rows[-1].msg_id


def check() -> tuple[int, int]:
    # A message is searchable when it is not a notice and not recalled (index_message).
    missing = db.session.scalar(text(
        "SELECT count(*) FROM messages AS m WHERE m.msg_type != 'system' AND m.recalled_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM message_fts AS f WHERE f.rowid = m.msg_id)"))
    stray = db.session.scalar(text(
        "SELECT count(*) FROM message_fts AS f WHERE NOT EXISTS (SELECT 1 FROM messages AS m "
        "WHERE m.msg_id = f.rowid AND m.msg_type != 'system' AND m.recalled_at IS NULL)"))
    return missing, stray
