"""Socket.IO connection handling: only logged-in users connect; a socket joins its user's
room and the room of every chat the user belongs to.

``register_socket_handlers`` attaches the handlers to the server ``SocketIO.init_app`` just made
for an app. (Flask-SocketIO's decorators register only on the server that exists when they run,
so decorating at import time would leave every later app, as in tests, without handlers.)
"""

import functools
import logging

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room  # not the builtin of that name

from .errors import ChatappError, socket_ack_error
from .extensions import db
from .services import connections

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


@releases_session
def on_connect(auth=None):
    """Refuse anonymous sockets; put the socket in its user's room and its chats' rooms."""
    # Identity comes from the session cookie only, never from the payload.
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("not_authenticated")
    for room in connections.connect_socket(current_user, request.sid):
        join_room(room)


@releases_session
def on_disconnect(reason=None):
    """Forget the socket; python-socketio takes it out of its rooms."""
    connections.disconnect_socket(request.sid)


def on_error(error):
    """Turn a failed handler into an error ack; nothing it started is kept."""
    db.session.rollback()
    if isinstance(error, ChatappError):
        return socket_ack_error(error)
    log.exception("socket handler failed")
    return socket_ack_error(ChatappError("Something went wrong on our side.",
                                         code="internal_error"))


def register_socket_handlers(socketio) -> None:
    """Attach the handlers to the app's Socket.IO server."""
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    socketio.on_error_default(on_error)
