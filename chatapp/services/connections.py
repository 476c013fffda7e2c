"""Socket.IO connections of users: recorded in the database, so every process can see them."""

from sqlalchemy import delete, select

from ..database import write_transaction
from ..extensions import db
from ..models import Membership, User, UserSocket
from ..realtime import chat_room, user_room


def connect_socket(user: User, sid: str) -> list[str]:
    """Record a newly connected socket; return the rooms it belongs in.

    The row is committed before memberships are read, so a membership added at the same moment
    is either seen here or sees this socket (and moves it into the room): never neither.
    """
    with write_transaction():
        db.session.merge(UserSocket(sid=sid, user_id=user.user_id))
    chat_ids = db.session.scalars(select(Membership.chat_id).where(
        Membership.user_id == user.user_id))
    return [user_room(user.user_id), *(chat_room(chat_id) for chat_id in chat_ids)]


def disconnect_socket(sid: str) -> None:
    """Forget a socket that disconnected."""
    with write_transaction():
        db.session.execute(delete(UserSocket).where(UserSocket.sid == sid))


def forget_all_sockets() -> None:
    """Forget every socket: when a lone server process starts, none can be connected."""
    with write_transaction():
        db.session.execute(delete(UserSocket))
