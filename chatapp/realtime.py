"""Socket.IO rooms and the one helper that emits events to them.

Room names come only from ``user_room`` and ``chat_room``. A socket joins a room only after the
access check passed, and only services emit, after their transaction committed.
"""

from .extensions import socketio


def user_room(user_id: int) -> str:
    """Every open socket of one user (all their tabs) is in this room."""
    return f"user:{user_id}"


def chat_room(chat_id: int) -> str:
    """Every open socket of every member of one chat is in this room."""
    return f"chat:{chat_id}"


def emit(event: str, payload: dict, room: str) -> None:
    """Send ``event`` to everyone in ``room`` (all server processes, via the message queue)."""
    socketio.emit(event, payload, to=room)
