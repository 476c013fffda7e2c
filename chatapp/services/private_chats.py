"""Private chats: the one chat between two friends, created the first time either opens it."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..access import active_user
from ..database import write_transaction
from ..errors import Forbidden, ValidationError
from ..extensions import db
from ..models import Chat, Membership, Privilege, User, now
from .chats import announce_new_chat
from .friends import are_friends


def _private_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"


def open_private_chat(user: User, other_id) -> tuple[Chat, bool]:
    """The private chat with a friend, created the first time either opens it.

    Returns (chat, created). Once it exists it stays open to both, friends or not, so the
    history stays readable; only sending needs a friendship.
    """
    other = active_user(other_id)
    if other.user_id == user.user_id:
        raise ValidationError("A private chat needs another person.", code="cannot_chat_self")
    key = _private_key(user.user_id, other.user_id)
    existing = db.session.scalar(select(Chat).where(Chat.private_key == key))
    if existing is not None:
        return existing, False
    try:
        with write_transaction():
            if db.session.scalar(select(Chat).where(Chat.private_key == key)) is not None:
                raise _AlreadyThere()
            if not are_friends(user.user_id, other.user_id):
                raise Forbidden("You can only start a chat with a friend.", code="not_friends")
            chat = Chat(is_private=True, private_key=key, create_time=now())
            db.session.add(chat)
            db.session.flush()
            db.session.add_all([Membership(user_id=uid, chat_id=chat.chat_id,
                                           privilege=Privilege.MEMBER)
                                for uid in (user.user_id, other.user_id)])
    except (_AlreadyThere, IntegrityError):
        # The other person opened it at the same moment: the unique key kept it to one chat.
        db.session.rollback()
        return db.session.scalar(select(Chat).where(Chat.private_key == key)), False
    announce_new_chat(chat, [user.user_id, other.user_id])
    return chat, True


class _AlreadyThere(Exception):
    """The private chat appeared between the first look and the write lock."""

