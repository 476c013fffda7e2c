"""Message search: the index behind one interface (this module), the service, the blueprint.

- here: the full-text index of messages (``find``, ``index_message``, ``rebuild``, ...);
- ``service.py``: ``search_messages``, filters and scoping to the user's chats;
- ``views.py`` and ``forms.py``: the page ``GET /search`` and ``GET /api/search``.

Callers of the index use only the names here, never a backend. The index behind them depends
on the database: SQLite FTS5 (``fts_sqlite``) or a GIN-indexed tsvector table on PostgreSQL
(``fts_postgres``); both hold the tokens of ``tokens`` and answer the same queries the same way.
Writes happen inside the caller's transaction, so the index never disagrees with the messages.
"""

from ..errors import Unavailable
from ..extensions import db
from . import fts_postgres, fts_sqlite
from .snippets import snippet
from .tokens import KINDS

__all__ = ["KINDS", "check", "enabled", "find", "index_message", "rebuild", "reindex_message",
           "snippet", "unindex_chat", "unindex_messages"]

_BACKENDS = {"sqlite": fts_sqlite, "postgresql": fts_postgres}


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _backend():
    dialect = _dialect()
    if dialect not in _BACKENDS:
        raise Unavailable(f"Search is not available on {dialect}.", code="search_unavailable")
    return _BACKENDS[dialect]


def enabled() -> bool:
    """Whether this database has a search index."""
    return _dialect() in _BACKENDS


def index_message(message) -> None:
    """Add a new message (its text, or its file name) to the index."""
    if enabled():
        _backend().index_message(message)


def reindex_message(message) -> None:
    """Index a message's new text (edited) in place of its old one."""
    if enabled():
        _backend().unindex_messages([message.msg_id])
        _backend().index_message(message)


def unindex_messages(msg_ids) -> None:
    """Remove messages from the index (recalled, deleted)."""
    if enabled():
        _backend().unindex_messages(msg_ids)


def unindex_chat(chat_id: int) -> None:
    """Remove every message of a chat from the index (the chat is being deleted)."""
    if enabled():
        _backend().unindex_chat(chat_id)


def find(chat_ids, query, **filters):
    """Message ids matching ``query`` in ``chat_ids``, newest first; see the backend."""
    return _backend().find(chat_ids, query, **filters)


def rebuild(batch: int = 5000) -> int:
    """Index every message again from scratch; returns how many were indexed."""
    return _backend().rebuild(batch)


def check() -> tuple[int, int]:
    """(searchable messages missing from the index, index rows of no searchable message):
    both 0 when the index agrees with the messages (after a restore, say)."""
    return _backend().check()
