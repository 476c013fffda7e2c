"""Recall: a message withdrawn by its sender or a group's moderator, and the erasure of
everything a deleted account sent."""

from flask import current_app
from sqlalchemy import delete, select, update

from ... import events, payloads, search
from ...access import access_chat, message_in
from ...database import write_transaction
from ...errors import Conflict, Forbidden, ValidationError
from ...extensions import db
from ...files import storage
from ...models import (
    Message,
    MessageEdit,
    MsgType,
    Privilege,
    Reaction,
    User,
    message_mentions,
    now,
)
from .changes import record_change


def recall_message(user: User, chat_id, msg_id) -> dict:
    """Withdraw a message: the sender within the recall window, or a group's owner or admin
    at any time. Its text and file are gone; a placeholder stays in its place. Returns the
    placeholder as members receive it."""
    window = current_app.config["RECALL_WINDOW_SECONDS"]
    with write_transaction():
        membership = access_chat(user, chat_id)
        message = message_in(membership.chat_id, msg_id)
        if message.msg_type == MsgType.SYSTEM:
            raise ValidationError("Notices cannot be recalled.", code="cannot_recall_notice")
        if message.recalled_at is not None:
            raise Conflict("That message was already recalled.", code="already_recalled")
        moderator = (not membership.chat.is_private
                     and membership.privilege in (Privilege.OWNER, Privilege.ADMIN))
        if not moderator:
            if message.sender_id != user.user_id:
                raise Forbidden("You can only recall your own messages.",
                                code="not_your_message")
            if now() - message.create_time > window:
                raise Forbidden(f"Messages can be recalled for {window // 60} minutes only.",
                                code="recall_window_passed")
        old_file = message.msg_file
        _forget([message.msg_id])
        message.msg_text, message.msg_file = "", None
        message.recalled_at, message.recalled_by = now(), user.user_id
        message.update_time = message.recalled_at
        record_change(message)
    storage.remove_unused([old_file])  # kept while a forwarded copy still uses it
    payload = payloads.message(message)
    events.message_recalled(payload)
    return payload


def _forget(msg_ids: list[int]) -> None:
    """What goes with a recalled message's text: its index entry, earlier versions,
    reactions, mentions and pin."""
    search.unindex_messages(msg_ids)
    for table in (MessageEdit.__table__, Reaction.__table__, message_mentions):
        db.session.execute(delete(table).where(table.c.msg_id.in_(msg_ids)))
    db.session.execute(update(Message).where(Message.msg_id.in_(msg_ids)).values(
        pinned_at=None, pinned_by=None, mentions_all=False))


def erase_messages_of(user: User, by: User):
    """Inside the caller's write transaction: remove the text and files of every message
    ``user`` sent, as a recall by ``by`` (an administrator deleting the account with its
    messages). Returns what to announce after the commit."""
    erased = list(db.session.scalars(select(Message).where(
        Message.sender_id == user.user_id, Message.msg_type != MsgType.SYSTEM,
        Message.recalled_at.is_(None))))
    files = [message.msg_file for message in erased]
    _forget([message.msg_id for message in erased])
    stamp = now()
    for message in erased:
        message.msg_text, message.msg_file = "", None
        message.recalled_at, message.recalled_by, message.update_time = stamp, by.user_id, stamp
        record_change(message)

    def announce() -> None:
        storage.remove_unused(files)
        for message in erased:
            events.message_recalled(payloads.message(message))

    return announce

