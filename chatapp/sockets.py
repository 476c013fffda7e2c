"""Socket.IO connection handling: only logged-in users connect, each joins their own room.

Handlers register on the shared ``socketio`` object when this module is imported (as routes do
on a blueprint); ``SocketIO.init_app`` attaches them to each app's server.
"""

import functools
import logging

from flask_login import current_user
from flask_socketio import join_room

from .errors import ChatappError, socket_ack_error
from .extensions import db, socketio
from .realtime import user_room

log = logging.getLogger(__name__)


def releases_session(handler):
    """Give the database connection back when a Socket.IO handler ends, whatever happens."""

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        finally:
            db.session.remove()

    return wrapper


@socketio.on("connect")
@releases_session
def on_connect(auth=None):
    """Refuse anonymous sockets; put a user's socket in their own room."""
    # Identity comes from the session cookie only, never from the payload.
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("not_authenticated")
    join_room(user_room(current_user.user_id))


@socketio.on_error_default
def on_error(error):
    """Turn a failed handler into an error ack; nothing it started is kept."""
    db.session.rollback()
    if isinstance(error, ChatappError):
        return socket_ack_error(error)
    log.exception("socket handler failed")
    return socket_ack_error(ChatappError("Something went wrong on our side.",
                                         code="internal_error"))
