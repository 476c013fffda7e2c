"""Full-text search of messages, behind one interface.

Callers use only the functions here; the index behind them is SQLite FTS5 (``fts_sqlite``).
A PostgreSQL backend would implement the same four operations (``index_message``,
``unindex_messages``, ``unindex_chat``, ``find``) and ``rebuild``, with no change to callers.
Writes happen inside the caller's transaction, so the index never disagrees with the messages.
"""

from ..errors import Unavailable
from ..extensions import db
from . import fts_sqlite


def _backend():
    dialect = db.session.get_bind().dialect.name
    if dialect != "sqlite":
        raise Unavailable(f"Search is not available on {dialect} yet.",
                          code="search_unavailable")
    return fts_sqlite


def enabled() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def index_message(message) -> None:
    """Add a new message (its text, or its file name) to the index."""
    if enabled():
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
