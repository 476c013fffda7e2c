"""Messages: sending (idempotent), history, read positions and receipts, recall, typing.

Every message takes the next position (``seq``) of its chat inside the transaction that stores
it, under the chat row's write lock, so positions follow commit order; events carry the
position, and a client that missed some catches up with "everything after seq N".

One module per operation: ``send`` (and ``append_message``), ``history`` (pages, catch-up),
``read`` (read positions, receipts, unread counts), ``recall``, ``typing``. Callers use the
names below: ``messages.send(...)``.
"""

from .history import CATCH_UP_PAGE, HISTORY_PAGE_MAX, catch_up, history, messages_exist
from .read import mark_read, receipts, unread_count
from .recall import erase_messages_of, recall_message
from .send import (
    append_message,
    check_can_send,
    clean_text,
    ensure_can_post,
    may_post,
    post_message,
    send,
)
from .typing import notify_typing

__all__ = [
    "CATCH_UP_PAGE", "HISTORY_PAGE_MAX", "append_message", "catch_up",
    "check_can_send", "clean_text", "ensure_can_post",
    "erase_messages_of", "history", "may_post", "mark_read", "messages_exist", "notify_typing",
    "post_message", "receipts", "recall_message", "send", "unread_count",
]
