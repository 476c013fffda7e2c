"""Socket.IO connections and presence, recorded in the database so every process sees them.

A user is online while at least one of their sockets is connected (several tabs count once).
Their friends and the people they share a chat with hear ``presence_changed`` when that flips.

A socket belongs to the session it connected with. When that session ends (log-out anywhere,
password change, the account disabled) the socket is told ``session_ended`` and cut at once by
the process that ended the session; a sweep on every serving process catches what that could
not reach (``flask users disable`` run from a shell, with no message queue between them).
"""

import ctypes
import ctypes.util
import logging
import os
import socket
import uuid

from sqlalchemy import delete, func, or_, select, union, update
from sqlalchemy.orm import aliased

from .. import events
from ..database import write_transaction
from ..errors import NotAuthenticated
from ..extensions import db, socketio
from ..models import Friendship, Membership, ServerProcess, User, UserSocket, now
from ..realtime import chat_room, end_sockets, is_local_socket, user_room

log = logging.getLogger(__name__)

# This serving process's id in server_processes, once ``register_process`` ran; None where
# nothing serves (tests on the test client, ``flask`` commands).
_process_id: str | None = None


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
    events.presence_changed(user_id, online, last_seen, contacts_of(user_id))


def connect_socket(user: User, sid: str) -> list[str]:
    """Record a newly connected socket; return the rooms it belongs in.

    The row is committed before memberships and the session are read again, so a membership
    added, or a session ended, at the same moment is either seen here or sees this socket (and
    moves or cuts it): never neither. A session that ended meanwhile raises NotAuthenticated.
    """
    with write_transaction():
        db.session.merge(UserSocket(sid=sid, user_id=user.user_id, connected_at=now(),
                                    session_version=user.session_version,
                                    process_id=_process_id))
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
    global _closed_since_trim
    _closed_since_trim += 1
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

    def sweep():
        swept = sweep_revoked_sockets()
        if swept:
            log.info("cut %d socket(s) of ended sessions", swept)

    _every(app, app.config["SESSION_SWEEP_SECONDS"], sweep, "session sweep")


_closed_since_trim = 0  # sockets closed on this process since memory was last given back


def _malloc_trim():
    """glibc's ``malloc_trim``, or None where there is none."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def give_memory_back(trim) -> bool:
    """If sockets closed since the last call, hand the memory their buffers and greenlet
    stacks held back to the operating system with ``trim`` (``_malloc_trim()``); returns
    whether it did."""
    global _closed_since_trim
    if not _closed_since_trim:
        return False
    _closed_since_trim = 0
    trim(0)
    return True


def start_memory_trim(app, interval: float = 60.0) -> None:
    """On a serving process: ``give_memory_back`` every ``interval`` seconds. Without it the
    process keeps its peak: after 2,000 sockets closed, RSS stayed 100 MB above where it
    started; with it, 75 MB. It does not grow over repeated cycles either way
    (bench/README.md). A trim takes about 10 ms."""
    trim = _malloc_trim()
    if trim is not None:
        _every(app, interval, lambda: give_memory_back(trim), "memory trim")


def _every(app, interval: float, work, what: str) -> None:
    """Run ``work`` in the app context every ``interval`` seconds, in a background task, for
    the life of the process; a failed round is logged, and the next one tries again."""

    def forever():
        while True:
            socketio.sleep(interval)
            with app.app_context():
                try:
                    work()
                except Exception as error:  # noqa: BLE001 - keep going; the next round may work
                    log.warning("%s failed: %s", what, error)
                finally:
                    db.session.remove()

    socketio.start_background_task(forever)


def presence(user_ids) -> dict[int, dict]:
    """Online state and last-seen time of each of ``user_ids``."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    has_socket = select(UserSocket.sid).where(UserSocket.user_id == User.user_id).exists()
    rows = db.session.execute(select(User.user_id, User.last_seen, has_socket).where(
        User.user_id.in_(ids))).all()
    found = {uid: {"online": online, "last_seen": seen} for uid, seen, online in rows}
    return {uid: found.get(uid, {"online": False, "last_seen": None}) for uid in ids}


def forget_all_sockets() -> None:
    """Forget every socket and process: when a lone server process starts, none can be
    connected."""
    with write_transaction():
        db.session.execute(delete(UserSocket))
        db.session.execute(delete(ServerProcess))


# --- serving processes: heartbeats, reaping the dead, leaving cleanly ------------------------


def register_process() -> str:
    """Record this serving process, with a fresh id and heartbeat; return the id."""
    global _process_id
    _process_id = uuid.uuid4().hex
    with write_transaction():
        db.session.add(ServerProcess(process_id=_process_id, host=socket.gethostname()[:255],
                                     pid=os.getpid(), started_at=now(), heartbeat_at=now()))
    return _process_id


def heartbeat() -> None:
    """Tell the other processes this one is alive."""
    with write_transaction():
        beat = db.session.execute(update(ServerProcess).where(
            ServerProcess.process_id == _process_id).values(heartbeat_at=now()))
        if beat.rowcount == 0:
            # Another process took this one for dead (it missed beats for PROCESS_TIMEOUT
            # seconds) and reaped its socket rows; its sockets count again when they reconnect.
            log.warning("this process was taken for dead and its sockets were forgotten")
            db.session.add(ServerProcess(process_id=_process_id, host=socket.gethostname()[:255],
                                         pid=os.getpid(), started_at=now(), heartbeat_at=now()))


def _forget_processes(where) -> int:
    """Forget the processes matching ``where`` and every socket they held; whoever is left
    with no socket goes offline. Returns how many processes were forgotten."""
    with write_transaction():
        gone = list(db.session.scalars(select(ServerProcess.process_id).where(where)))
        if not gone:
            return 0
        users = set(db.session.scalars(select(UserSocket.user_id).where(
            UserSocket.process_id.in_(gone))))
        db.session.execute(delete(UserSocket).where(UserSocket.process_id.in_(gone)))
        db.session.execute(delete(ServerProcess).where(ServerProcess.process_id.in_(gone)))
        offline = sorted(u for u in users if _socket_count(u) == 0)
        seen = now()
        if offline:
            db.session.execute(update(User).where(User.user_id.in_(offline))
                               .values(last_seen=seen))
    for user_id in offline:
        _announce(user_id, False, seen)
    return len(gone)


def reap_dead_processes(timeout: float) -> int:
    """Forget the sockets of processes whose last heartbeat is older than ``timeout``
    seconds (killed, crashed, their machine lost); return how many processes died."""
    return _forget_processes(ServerProcess.heartbeat_at < now() - timeout)


def leave_process() -> None:
    """On a clean shutdown: forget this process and its sockets at once."""
    if _process_id is not None:
        _forget_processes(ServerProcess.process_id == _process_id)


def start_heartbeat(app) -> None:
    """On a serving process: register it, reap the dead at once, then beat and reap every
    ``PROCESS_HEARTBEAT_SECONDS``. A process silent for ``PROCESS_TIMEOUT_SECONDS`` is dead."""
    timeout = app.config["PROCESS_TIMEOUT_SECONDS"]
    with app.app_context():
        register_process()
        reap_dead_processes(timeout)

    def beat():
        heartbeat()
        reaped = reap_dead_processes(timeout)
        if reaped:
            log.info("reaped the sockets of %d dead process(es)", reaped)

    _every(app, app.config["PROCESS_HEARTBEAT_SECONDS"], beat, "heartbeat")
