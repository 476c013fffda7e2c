"""Editing: the sender changes the text of their message within the edit window; members see
that it was edited and may read every earlier version."""

from flask import current_app
from sqlalchemy import select

from ... import events, payloads, rate_limits, search
from ...access import access_chat, message_in
from ...database import write_transaction
from ...errors import Conflict, Forbidden, ValidationError
from ...extensions import db
from ...models import Message, MessageEdit, MsgType, User, now
from .changes import record_change
from .mentions import record_mentions
from .send import clean_text, ensure_can_post


def edit_message(user: User, chat_id: int, msg_id: int, text: str) -> dict:
    """Replace the text of the user's own text message, keeping the old text as a version.
    Allowed within ``EDIT_WINDOW_SECONDS`` of sending, never after a recall, and in a private
    chat only while still friends (as sending is). The same text again changes nothing.
    Returns the message as members receive it (``message_edited``)."""
    text = clean_text(text)
    window = current_app.config["EDIT_WINDOW_SECONDS"]
    rate_limits.spend(user.user_id, "send")  # before the write lock: see rate_limits.spend
    with write_transaction():
        membership = access_chat(user, chat_id)
        message = message_in(membership.chat_id, msg_id)
        _check_editable(user, message, window)
        ensure_can_post(user, membership)
        if text == message.msg_text:
            return payloads.message(message)
        stamp = now()
        db.session.add(MessageEdit(msg_id=message.msg_id, msg_text=message.msg_text,
                                   replaced_at=stamp))
        message.msg_text, message.edited_at, message.update_time = text, stamp, stamp
        record_mentions(message, membership, again=True)
        record_change(message)
        search.reindex_message(message)
        payload = payloads.message(message)
    events.message_edited(payload)
    return payload


def _check_editable(user: User, message: Message, window: int) -> None:
    if message.recalled_at is not None:
        raise Conflict("A recalled message cannot be edited.", code="already_recalled")
    if message.sender_id != user.user_id:
        raise Forbidden("You can only edit your own messages.", code="not_your_message")
    if message.msg_type != MsgType.TEXT:
        raise ValidationError("Only text messages can be edited.", code="not_editable")
    if now() - message.create_time > window:
        raise Forbidden(f"Messages can be edited for {window // 60} minutes only.",
                        code="edit_window_passed")


def message_versions(user: User, chat_id: int, msg_id: int) -> dict:
    """Every text an edited message has had, oldest first, each with when it was written;
    the last is the current one. Members only; a recalled message shows none."""
    membership = access_chat(user, chat_id)
    message = message_in(membership.chat_id, msg_id)
    if message.recalled_at is not None:
        return {"msg_id": message.msg_id, "versions": []}
    earlier = list(db.session.scalars(select(MessageEdit).where(
        MessageEdit.msg_id == message.msg_id).order_by(MessageEdit.edit_id)))
    versions, written = [], message.create_time
    for edit in earlier:
        versions.append({"msg_text": edit.msg_text, "written_at": written})
        written = edit.replaced_at
    versions.append({"msg_text": message.msg_text, "written_at": written})
    return {"msg_id": message.msg_id, "versions": versions}
