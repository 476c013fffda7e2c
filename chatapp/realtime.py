"""Socket.IO rooms and the helpers that emit events and move sockets between rooms.

Room names come only from ``user_room`` and ``chat_room``. A socket joins a chat's room only
after its membership was checked, and leaves it when the membership ends; only services call
these, after their transaction committed.

The sockets of each user are rows of ``user_sockets`` (not a per-process dict), so a room move
reaches a user's sockets on every server process: python-socketio's message-queue manager
forwards ``enter_room``/``leave_room`` for sockets connected elsewhere.
"""

import logging

from sqlalchemy import select

from .extensions import db, socketio
from .models import UserSocket

log = logging.getLogger(__name__)
NAMESPACE = "/"


def user_room(user_id: int) -> str:
    """Every open socket of one user (all their tabs) is in this room."""
    return f"user:{user_id}"


def chat_room(chat_id: int) -> str:
    """Every open socket of every member of one chat is in this room."""
    return f"chat:{chat_id}"


def emit(event: str, payload: dict, room: str, skip_sid: str | None = None) -> None:
    """Send ``event`` to everyone in ``room`` (all server processes, via the message queue),
    except the socket ``skip_sid``."""
    socketio.emit(event, payload, to=room, namespace=NAMESPACE, skip_sid=skip_sid)


def emit_to_users(event: str, payload: dict, user_ids) -> None:
    """Send ``event`` to every open socket of each of ``user_ids``."""
    for user_id in set(user_ids):
        emit(event, payload, user_room(user_id))


def _sids_of(user_ids) -> list[str]:
    return list(db.session.scalars(select(UserSocket.sid).where(UserSocket.user_id.in_(user_ids))))


def _move(sids, room: str, enter: bool) -> None:
    server = socketio.server
    for sid in sids:
        try:
            if enter:
                server.enter_room(sid, room, namespace=NAMESPACE)
            else:
                server.leave_room(sid, room, namespace=NAMESPACE)
        except (KeyError, ValueError):
            # The socket is gone (its row outlived a crash); nothing to move.
            log.debug("socket %s is not connected; room move to %s skipped", sid, room)


def join_chat_room(user_ids, chat_id: int) -> None:
    """Put every open socket of ``user_ids`` into the chat's room (they became members)."""
    _move(_sids_of(user_ids), chat_room(chat_id), enter=True)


def leave_chat_room(user_ids, chat_id: int) -> None:
    """Take every open socket of ``user_ids`` out of the chat's room (membership ended)."""
    _move(_sids_of(user_ids), chat_room(chat_id), enter=False)


def _end_socket(sid: str, error: dict) -> None:
    socketio.emit("session_ended", {"error": error}, to=sid, namespace=NAMESPACE)
    socketio.server.disconnect(sid, namespace=NAMESPACE)


def end_sockets(sids, error: dict, delay: float = 0.0) -> None:
    """Tell each socket its session ended (``session_ended``), then disconnect it, on whichever
    process holds it: both go through the message queue, in this order.

    This process's own sockets are cut from a background task (after ``delay``): their
    disconnect handler runs where the cut is made, and must not end the caller's database
    session or race the caller's own reply."""
    local = [sid for sid in sids if is_local_socket(sid)]
    for sid in sids:
        if sid not in local:
            _end_socket(sid, error)

    def end_local():
        socketio.sleep(delay)
        for sid in local:
            _end_socket(sid, error)

    if local:
        socketio.start_background_task(end_local)


def is_local_socket(sid: str) -> bool:
    """Whether ``sid`` is connected to this server process."""
    return socketio.server.manager.is_connected(sid, NAMESPACE)


def close_chat_room(chat_id: int) -> None:
    """Empty a chat's room on every process (the chat is gone)."""
    socketio.close_room(chat_room(chat_id), namespace=NAMESPACE)
