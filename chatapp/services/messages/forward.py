"""Forwarding: a member copies a message (text or file) of one of their chats into another
chat they may post in. The copy names the original's author and shares its stored file."""

from sqlalchemy import select

from ...access import access_chat
from ...errors import Conflict, NotFound, ValidationError
from ...extensions import db
from ...models import Chat, Membership, Message, MsgType, User
from .send import append_message, check_can_send, send


def forward_message(user: User, chat_id: int, msg_id: int, to_chat_id: int,
                    client_msg_id: str) -> tuple[dict, bool]:
    """Send a copy of message ``msg_id`` of chat ``chat_id`` to chat ``to_chat_id``; returns
    (the copy as members receive it, created), as ``send`` does: idempotent by
    ``client_msg_id``, counted against the send rate limit, ``message_created`` in the target.

    Both chats must be the user's (else ``chat_not_found``) and the target one they may post in
    (``not_friends``); notices and recalled messages are not forwarded. The copy keeps the
    original's text, kind and stored file (no second copy on disk: ``storage.remove_unused``
    keeps a file while any message refers to it), not its reply, reactions or edits. Forwarding
    a copy names the first author again."""
    earlier = check_can_send(user, to_chat_id, client_msg_id)  # a retry, before the source
    if earlier is not None:
        return earlier

    def build(membership: Membership) -> Message:
        _lock_chat(membership.chat_id)
        source = _source(user, chat_id, msg_id)
        return append_message(
            membership.chat_id, user.user_id, MsgType(source.msg_type), source.msg_text,
            client_msg_id, source.msg_file, file_mime=source.file_mime,
            file_size=source.file_size, file_width=source.file_width,
            file_height=source.file_height,
            forwarded_from_id=source.forwarded_from_id or source.sender_id)

    return send(user, to_chat_id, client_msg_id, build)


def _lock_chat(chat_id: int) -> None:
    # The target chat's row lock first (append_message takes it anyway), then the source's:
    # the order recalls, edits and reactions take them in (chat, then message), so a forward
    # within one chat never deadlocks with them on PostgreSQL.
    db.session.execute(select(Chat.chat_id).where(Chat.chat_id == chat_id).with_for_update())


def _source(user: User, chat_id: int, msg_id: int) -> Message:
    """The message to forward, share-locked until the copy commits: a concurrent recall or
    a deleted chat waits, and a recall that went first is seen (its file may be gone)."""
    membership = access_chat(user, chat_id)
    source = db.session.scalar(
        select(Message).where(Message.chat_id == membership.chat_id, Message.msg_id == msg_id)
        .with_for_update(read=True))
    if source is None:
        raise NotFound("Message not found.", code="message_not_found")
    if source.msg_type == MsgType.SYSTEM:
        raise ValidationError("Notices cannot be forwarded.", code="cannot_forward_notice")
    if source.recalled_at is not None:
        raise Conflict("That message was recalled.", code="already_recalled")
    return source
