"""Socket.IO connections and presence, recorded in the database so every process sees them.

A user is online while at least one of their sockets is connected (several tabs count once).
Their friends and the people they share a chat with hear ``presence_changed`` when that flips.
"""

from sqlalchemy import delete, func, select, union, update
from sqlalchemy.orm import aliased

from ..database import write_transaction
from ..extensions import db
from ..models import Friendship, Membership, User, UserSocket, now
from ..realtime import chat_room, emit_to_users, user_room


def _socket_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSocket).where(
        UserSocket.user_id == user_id)) or 0


def contacts_of(user_id: int) -> list[int]:
    """Everyone who sees this user's presence: friends and people in a chat with them."""
    other = aliased(Membership)
    mine = aliased(Membership)
    co_members = (select(other.user_id).join(mine, mine.chat_id == other.chat_id)
                  .where(mine.user_id == user_id, other.user_id != user_id))
    friends = select(Friendship.friend_id).where(Friendship.user_id == user_id)
    return list(db.session.scalars(union(co_members, friends)))


def _announce(user_id: int, online: bool, last_seen: float | None) -> None:
    emit_to_users("presence_changed",
                  {"user_id": user_id, "online": online, "last_seen": last_seen},
                  contacts_of(user_id))


def connect_socket(user: User, sid: str) -> list[str]:
    """Record a newly connected socket; return the rooms it belongs in.

    The row is committed before memberships are read, so a membership added at the same moment
    is either seen here or sees this socket (and moves it into the room): never neither.
    """
    with write_transaction():
        db.session.merge(UserSocket(sid=sid, user_id=user.user_id, connected_at=now()))
        came_online = _socket_count(user.user_id) == 1
    chat_ids = list(db.session.scalars(select(Membership.chat_id).where(
        Membership.user_id == user.user_id)))
    if came_online:
        _announce(user.user_id, True, None)
    return [user_room(user.user_id), *(chat_room(chat_id) for chat_id in chat_ids)]


def disconnect_socket(sid: str) -> None:
    """Forget a socket that closed; the user goes offline with their last one."""
    with write_transaction():
        user_id = db.session.scalar(select(UserSocket.user_id).where(UserSocket.sid == sid))
        if user_id is None:
            return
        db.session.execute(delete(UserSocket).where(UserSocket.sid == sid))
        went_offline = _socket_count(user_id) == 0
        seen = now()
        if went_offline:
            db.session.execute(update(User).where(User.user_id == user_id)
                               .values(last_seen=seen))
    if went_offline:
        _announce(user_id, False, seen)


def presence(user_ids) -> dict[int, dict]:
    """Online state and last-seen time of each of ``user_ids``."""
    ids = list(set(user_ids))
    online = set(db.session.scalars(select(UserSocket.user_id).where(
        UserSocket.user_id.in_(ids)).distinct()))
    seen = dict(db.session.execute(select(User.user_id, User.last_seen).where(
        User.user_id.in_(ids))).all())
    return {uid: {"online": uid in online, "last_seen": seen.get(uid)} for uid in ids}


def forget_all_sockets() -> None:
    """Forget every socket: when a lone server process starts, none can be connected."""
    with write_transaction():
        db.session.execute(delete(UserSocket))
