"""Sending a message: text checks, the idempotent send with its write transaction, and
``append_message``, which gives a message the chat's next position."""

import re

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from ... import events, observability, payloads, rate_limits, search
from ...access import access_chat, message_in, private_peer
from ...database import write_transaction
from ...errors import Conflict, Forbidden, NotFound, RateLimited, ValidationError
from ...extensions import db
from ...models import MSG_TEXT_MAX, Membership, Message, MsgType, User, now
from ..friends import are_friends
from .changes import next_position
from .mentions import record_mentions
from .read import advance_read_position

# Control characters other than tab and newline have no place in a chat message.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def append_message(chat_id: int, sender_id: int, msg_type: MsgType, text: str,
                   client_msg_id: str | None = None, msg_file: str | None = None,
                   reply_to_id: int | None = None, **file_fields) -> Message:
    """Add a message at the chat's next position; call inside a write transaction.
    ``reply_to_id``: an earlier message of the same chat it answers (the caller checked).
    ``file_fields``: the file's ``file_mime``, ``file_size``, ``file_width``, ``file_height``.

    The position comes from ``changes.next_position``: under the chat row's write lock, in
    commit order.

    Both statements are Core statements on the hot path (the ORM's unit of work and
    update synchronisation were a third of a send's CPU). The message returned is in the
    session as if loaded (nothing is flushed for it), so its relationships load as usual;
    a chat already in the session gets its new position and activity time.
    """
    timestamp = now()
    seq = next_position(chat_id, "last_seq", last_activity=timestamp)
    values = {"chat_id": chat_id, "sender_id": sender_id, "seq": seq, "msg_type": msg_type,
              "msg_text": text, "msg_file": msg_file, "client_msg_id": client_msg_id,
              "create_time": timestamp, "update_time": timestamp, "recalled_at": None,
              "recalled_by": None, "file_mime": None, "file_size": None, "file_width": None,
              "file_height": None, "change_seq": 0, "edited_at": None,
              "reply_to_id": reply_to_id, "pinned_at": None, "pinned_by": None,
              "forwarded_from_id": None, "mentions_all": False, **file_fields}
    table = Message.__table__
    msg_id = db.session.execute(insert(table).values(values).returning(table.c.msg_id)
                                ).scalar_one()
    message = Message(msg_id=msg_id, **values)
    make_transient_to_detached(message)
    db.session.add(message)
    search.index_message(message)
    return message


def clean_text(text: str) -> str:
    """Message text as stored: newlines normalised, trimmed, 1 to 1,000 characters."""
    text = _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise ValidationError("A message cannot be empty.", code="empty_message", field="text")
    if len(text) > MSG_TEXT_MAX:
        raise ValidationError(f"A message has at most {MSG_TEXT_MAX} characters.",
                              code="message_too_long", field="text")
    return text


def ensure_can_post(user: User, membership: Membership) -> None:
    """Refuse new messages in a private chat whose friendship has ended."""
    chat = membership.chat
    if chat.is_private:
        peer = private_peer(chat, user)
        if peer is None or not are_friends(user.user_id, peer.user_id):
            raise Forbidden("You are no longer friends; add them again to send messages.",
                            code="not_friends")


def may_post(user: User, membership: Membership) -> bool:
    """Whether ``user`` may send in the chat now: what ``ensure_can_post`` would allow."""
    try:
        ensure_can_post(user, membership)
    except Forbidden:
        return False
    return True


def _earlier_send(user: User, client_msg_id: str, chat_id) -> Message | None:
    message = db.session.scalar(select(Message).where(
        Message.sender_id == user.user_id, Message.client_msg_id == client_msg_id))
    if message is not None and message.chat_id != chat_id:
        raise Conflict("That client_msg_id was already used in another chat.",
                       code="client_msg_id_reused", field="client_msg_id")
    return message


def _retry_answer(user: User, client_msg_id: str, chat_id) -> tuple[dict, bool] | None:
    """The answer to a retry of a message already stored, or None when there is none."""
    earlier = _earlier_send(user, client_msg_id, chat_id)
    return None if earlier is None else (payloads.message(earlier), False)


def check_can_send(user: User, chat_id, client_msg_id) -> tuple[dict, bool] | None:
    """Before any expensive work: refuse what ``send`` would refuse, and return the answer to
    a retry of a message already stored."""
    membership = access_chat(user, chat_id)
    earlier = _retry_answer(user, client_msg_id, membership.chat_id)
    if earlier is None:
        ensure_can_post(user, membership)
    return earlier


def send(user: User, chat_id, client_msg_id: str, build, spend=("send",)
         ) -> tuple[dict, bool]:
    """Store the message ``build(membership)`` makes, then tell the chat; returns
    (the message as members receive it, created). ``build`` runs inside the write transaction.

    A retry with the same ``client_msg_id`` returns the stored message and tells nobody again.
    Each send counts against the user's ``spend`` rate limits; a retry of a stored message is
    never refused for them.
    Sending counts as reading: the sender's read position moves to their message, and
    ``message_created`` says so (``sender_read_seq``) instead of a second event.

    The hot path (docs/architecture.md, "The send path"): one write transaction of six
    statements, no look-up of earlier sends (the unique key on (sender, client_msg_id) finds a
    retry: its insert fails, and only then is the stored message read), and the payload is
    built before the commit from values in hand, once for the event and the answer.
    """
    try:
        rate_limits.spend(user.user_id, *spend)  # before the write lock: see rate_limits.spend
    except RateLimited:
        # Over the limit: answer without taking the write lock, so that a flood from one
        # person costs the others' sends nothing. A retry of a stored message still gets it.
        earlier = _retry_answer(user, client_msg_id, access_chat(user, chat_id).chat_id)
        if earlier is None:
            raise
        return earlier
    sender = payloads.user_public(user)  # loaded for this request: no reload after the commit
    try:
        with write_transaction(keep=user):
            membership = access_chat(user, chat_id)
            try:
                ensure_can_post(user, membership)
            except Forbidden:
                # A retry of a message stored before the friendship ended is still answered.
                earlier = _retry_answer(user, client_msg_id, membership.chat_id)
                if earlier is None:
                    raise
                return earlier
            message = build(membership)
            advance_read_position(membership, message.seq, own_message=message)
            payload = payloads.message(message, sender=sender)
    except IntegrityError:
        # A retry: the unique key refused a second message with this client_msg_id (sent
        # before, or just now on another process). Nothing was written; answer with the first.
        db.session.rollback()
        earlier = _retry_answer(user, client_msg_id, chat_id)
        if earlier is None:
            raise
        return earlier
    observability.count_message_stored(payload)
    events.message_created(payload, sender_read_seq=payload["seq"])
    return payload, True


def post_message(user: User, chat_id: int, text: str, client_msg_id: str,
                 reply_to: int | None = None) -> tuple[dict, bool]:
    """Send a text message, perhaps as a reply to the earlier message ``reply_to`` of the same
    chat; returns (message payload, created). The schema checked the ``client_msg_id`` format
    (``schemas.ClientMsgId``)."""
    text = clean_text(text)

    def build(membership: Membership) -> Message:
        target = reply_target(membership.chat_id, reply_to) if reply_to is not None else None
        message = append_message(membership.chat_id, user.user_id, MsgType.TEXT, text,
                                 client_msg_id, reply_to_id=target)
        record_mentions(message, membership)
        return message

    return send(user, chat_id, client_msg_id, build)


def reply_target(chat_id: int, msg_id: int) -> int:
    """The id of the message a reply answers: a message of the same chat, not a notice.
    Another chat's message is not found, exactly like one that does not exist."""
    try:
        target = message_in(chat_id, msg_id)
    except NotFound:
        raise NotFound("The message you reply to is not in this chat.", code="reply_not_found",
                       field="reply_to") from None
    if target.msg_type == MsgType.SYSTEM:
        raise ValidationError("Notices cannot be replied to.", code="cannot_reply_to_notice",
                              field="reply_to")
    return target.msg_id
