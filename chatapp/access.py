"""Load-or-raise helpers that scope everything by membership.

A chat is loaded through the user's membership, so "does not exist" and "not yours" raise the
same ``NotFound`` and a non-member learns nothing. HTTP views, socket handlers and services all
use these.
"""

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from .errors import Forbidden, NotFound, ValidationError
from .extensions import db
from .files import storage
from .models import Chat, Membership, Message, Privilege, User


def chat_not_found() -> NotFound:
    return NotFound("Chat not found.", code="chat_not_found")


def access_chat(user: User, chat_id: int, *, for_update: bool = False) -> Membership:
    """The user's membership of chat ``chat_id`` (with ``.chat``), or ``chat_not_found``."""
    stmt = (
        select(Membership)
        .join(Chat, Chat.chat_id == Membership.chat_id)
        .options(contains_eager(Membership.chat))  # one statement for both
        .where(Membership.chat_id == chat_id, Membership.user_id == user.user_id)
    )
    if for_update:
        stmt = stmt.with_for_update()
    membership = db.session.scalar(stmt)
    if membership is None:
        raise chat_not_found()
    return membership


def private_peer(chat: Chat, user: User) -> User | None:
    """The other person of a private chat (None for groups)."""
    if not chat.is_private:
        return None
    return next((m for m in chat.get_members() if m.user_id != user.user_id), None)


def require_role(membership: Membership, *allowed: Privilege) -> None:
    """Refuse members whose role is not one of ``allowed`` (they know the chat exists)."""
    if membership.privilege not in allowed:
        raise Forbidden("Your role in this chat does not allow that.", code="insufficient_role")


def require_group(chat: Chat) -> None:
    """Refuse group-only operations on a private chat."""
    if chat.is_private:
        raise ValidationError("That only works in group chats.", code="not_a_group")


def active_user(user_id: int) -> User:
    """An enabled user by id, or ``user_not_found`` (disabled users do not exist to others)."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("User not found.", code="user_not_found")
    return user


def member_of(chat_id: int, user_id: int) -> Membership:
    """Another person's membership in a chat the caller may see, or ``member_not_found``."""
    membership = db.session.scalar(
        select(Membership).where(Membership.chat_id == chat_id, Membership.user_id == user_id))
    if membership is None:
        raise NotFound("That person is not in this chat.", code="member_not_found")
    return membership


def message_in(chat_id: int, msg_id: int) -> Message:
    """A message of a chat the caller already reached (through its membership), or
    ``message_not_found``: an id of another chat is not found either."""
    message = db.session.scalar(select(Message).where(
        Message.chat_id == chat_id, Message.msg_id == msg_id))
    if message is None:
        raise NotFound("Message not found.", code="message_not_found")
    return message


def file_of_message(user: User, msg_id: int, thumbnail: bool = False) -> tuple[Message, str]:
    """A file message the user may see, and the stored name to serve; else ``NotFound``."""
    not_found = NotFound("File not found.", code="file_not_found")
    message = db.session.get(Message, msg_id)
    if message is None:
        raise not_found
    try:
        access_chat(user, message.chat_id)
    except NotFound:
        raise not_found from None  # exactly what a missing file answers
    if not message.msg_file or message.recalled_at is not None:
        raise not_found
    if not thumbnail:
        return message, message.msg_file
    name = storage.thumbnail_of(message.msg_type, message.msg_file)
    if name is None:
        raise not_found
    return message, name
