"""Pins: messages kept at hand in a chat's pinned list. In a group the owner and admins pin;
in a private chat both people do. At most ``PINS_MAX`` pinned messages per chat."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ... import events, payloads
from ...access import access_chat, message_in, require_role
from ...database import write_transaction
from ...errors import Conflict, ValidationError
from ...extensions import db
from ...limits import PINS_MAX
from ...models import Message, MsgType, Privilege, User, now
from .changes import record_change


def pin_message(user: User, chat_id: int, msg_id: int, on: bool = True) -> dict:
    """Pin (``on``) or unpin a message; returns it as members receive it
    (``message_pinned``). Pinning a pinned message, or unpinning one that is not, changes
    nothing and tells nobody."""
    with write_transaction():
        membership = access_chat(user, chat_id, for_update=True)  # one pinner at a time
        if not membership.chat.is_private:
            require_role(membership, Privilege.OWNER, Privilege.ADMIN)
        message = message_in(membership.chat_id, msg_id)
        if message.msg_type == MsgType.SYSTEM:
            raise ValidationError("Notices cannot be pinned.", code="cannot_pin_notice")
        if message.recalled_at is not None:
            raise Conflict("That message was recalled.", code="already_recalled")
        if on == (message.pinned_at is not None):
            return payloads.message(message)
        if on:
            _refuse_one_too_many(membership.chat_id)
            message.pinned_at, message.pinned_by = now(), user.user_id
        else:
            message.pinned_at = message.pinned_by = None
        record_change(message)
        payload = payloads.message(message)
    events.message_pinned(payload)
    return payload


def _refuse_one_too_many(chat_id: int) -> None:
    if pinned_count(chat_id) >= PINS_MAX:
        raise Conflict(f"A chat has at most {PINS_MAX} pinned messages; unpin one first.",
                       code="too_many_pins")


def pinned_count(chat_id: int) -> int:
    """How many messages of a chat the caller may see are pinned."""
    return db.session.scalar(select(func.count()).select_from(Message).where(
        Message.chat_id == chat_id, Message.pinned_at.is_not(None)))


def pinned_messages(user: User, chat_id: int) -> dict:
    """The chat's pinned messages, the latest pinned first."""
    membership = access_chat(user, chat_id)
    rows = list(db.session.scalars(
        select(Message)
        .where(Message.chat_id == membership.chat_id, Message.pinned_at.is_not(None))
        .order_by(Message.pinned_at.desc(), Message.msg_id.desc())
        .options(joinedload(Message.sender))))
    return {"messages": payloads.messages(rows)}
