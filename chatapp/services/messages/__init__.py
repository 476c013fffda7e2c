"""Messages: sending (idempotent), history, read positions and receipts, recall, typing,
edits, reactions, pins, and catching up on changes.

Every message takes the next position (``seq``) of its chat inside the transaction that stores
it, under the chat row's write lock, so positions follow commit order; events carry the
position, and a client that missed some catches up with "everything after seq N".

One module per operation: ``send`` (and ``append_message``, replies), ``history`` (pages,
catch-up), ``read`` (read positions, receipts, unread counts), ``recall``, ``typing``,
``edit``, ``reactions``, ``pins``, and ``changes`` (the per-chat change position). Callers use the
names below: ``messages.send(...)``.
"""

from .changes import changes
from .edit import edit_message, message_versions
from .forward import forward_message
from .history import CATCH_UP_PAGE, HISTORY_PAGE_MAX, catch_up, history, messages_exist
from .pins import pin_message, pinned_count, pinned_messages
from .reactions import react
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
    "CATCH_UP_PAGE", "HISTORY_PAGE_MAX", "append_message", "catch_up", "changes",
    "check_can_send", "clean_text", "edit_message", "ensure_can_post", "erase_messages_of",
    "forward_message",
    "history", "may_post", "mark_read", "message_versions", "messages_exist", "notify_typing",
    "pin_message", "pinned_count", "pinned_messages",
    "post_message", "react", "receipts", "recall_message", "send", "unread_count",
]
