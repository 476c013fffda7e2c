"""Socket.IO connections and presence, recorded in the database so every process sees them.

A user is online while at least one of their sockets is connected (several tabs count once).
Their friends and the people they share a chat with hear ``presence_changed`` when that flips.

A socket belongs to the session it connected with. When that session ends (log-out anywhere,
password change, the account disabled) the socket is told ``session_ended`` and cut at once by
the process that ended the session; a sweep on every serving process catches what that could
not reach (``flask users disable`` run from a shell, with no message queue between them).
"""

import logging

from sqlalchemy import delete, func, or_, select, union, update
from sqlalchemy.orm import aliased

from ..database import write_transaction
from ..errors import NotAuthenticated
from ..extensions import db, socketio
from ..models import Friendship, Membership, User, UserSocket, now
from ..realtime import chat_room, emit_to_users, end_sockets, is_local_socket, user_room

log = logging.getLogger(__name__)


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

    The row is committed before memberships and the session are read again, so a membership
    added, or a session ended, at the same moment is either seen here or sees this socket (and
    moves or cuts it): never neither. A session that ended meanwhile raises NotAuthenticated.
    """
    with write_transaction():
        db.session.merge(UserSocket(sid=sid, user_id=user.user_id, connected_at=now(),
                                    session_version=user.session_version))
        came_online = _socket_count(user.user_id) == 1
    if _revoked_sids(UserSocket.sid == sid):
        with write_transaction():
            db.session.execute(delete(UserSocket).where(UserSocket.sid == sid))
        raise NotAuthenticated()
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


def _revoked_sids(*where) -> list[str]:
    """Sockets whose session has ended: the account disabled or its session version moved."""
    stmt = (select(UserSocket.sid).join(User, User.user_id == UserSocket.user_id)
            .where(or_(User.is_active.is_(False),
                       User.session_version != UserSocket.session_version), *where))
    db.session.expire_all()  # read the users' current state, not what this session cached
    return list(db.session.scalars(stmt))


def end_socket_after_ack(sid: str, grace: float = 0.05) -> None:
    """Cut a socket whose session ended, just after the ack of the event it sent: the client
    reads the refusal first, then the disconnect."""
    end_sockets([sid], NotAuthenticated().to_dict(), delay=grace)


def end_revoked_sockets(user_id: int) -> None:
    """Cut every socket of ``user_id`` whose session ended, on every process; call after the
    transaction that ended the session committed."""
    end_sockets(_revoked_sids(UserSocket.user_id == user_id), NotAuthenticated().to_dict())


def sweep_revoked_sockets() -> int:
    """Cut this process's sockets whose session ended; return how many."""
    sids = [sid for sid in _revoked_sids() if is_local_socket(sid)]
    end_sockets(sids, NotAuthenticated().to_dict())
    return len(sids)


def start_revocation_sweep(app) -> None:
    """On a serving process: sweep for sockets of ended sessions every
    ``SESSION_SWEEP_SECONDS``, so none outlives its session by more than about that."""
    interval = app.config["SESSION_SWEEP_SECONDS"]

    def sweep_forever():
        while True:
            socketio.sleep(interval)
            with app.app_context():
                try:
                    swept = sweep_revoked_sockets()
                    if swept:
                        log.info("cut %d socket(s) of ended sessions", swept)
                except Exception as error:  # keep sweeping; the next round may succeed
                    log.warning("session sweep failed: %s", error)
                finally:
                    db.session.remove()

    socketio.start_background_task(sweep_forever)


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
