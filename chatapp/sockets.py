"""Socket.IO handlers: connection, and the client-to-server events.

Each event handler validates its payload with a schema, calls one service function with the
user from the session (never from the payload), and acks ``{"ok": true, ...}`` only after the
service committed; a refusal acks ``{"ok": false, "error": {...}}`` and changes nothing.
``register_socket_handlers`` attaches them to the server ``SocketIO.init_app`` made for an app
(Flask-SocketIO's decorators register only on the server that exists when they run).
"""

import functools
import logging
import time

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room  # not the builtins

from . import observability
from .errors import ChatappError, NotAuthenticated, socket_ack_error
from .extensions import db
from .schemas import (
    CatchUpIn,
    EditMessageIn,
    ForwardMessageIn,
    MarkReadIn,
    PinIn,
    ReactIn,
    RecallIn,
    SendMessageIn,
    TypingIn,
    load,
)
from .services import connections, messages

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


def socket_event(schema):
    """Validate the payload with ``schema``, run the handler for the session's user, ack."""

    def decorate(handler):
        @functools.wraps(handler)
        @releases_session
        def wrapper(data=None, *_extra):
            if not current_user.is_authenticated:
                # The session was ended elsewhere (logout, password change, disabled) and the
                # socket not cut yet: refuse, and cut it once the refusal is on its way.
                connections.end_socket_after_ack(request.sid)
                return socket_ack_error(NotAuthenticated())
            try:
                result = handler(current_user._get_current_object(), load(schema, data))
            except ChatappError as error:
                db.session.rollback()
                if error.code == "invalid_payload":
                    log.warning("refused %s payload from user %s: %s", request.event["message"],
                                current_user.user_id, error.details)
                return socket_ack_error(error)
            return {"ok": True, **(result or {})}

        return wrapper

    return decorate


@releases_session
def on_connect(auth=None):
    """Refuse anonymous sockets; put the socket in its user's room and its chats' rooms."""
    # Identity comes from the session cookie only, never from the payload.
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("not_authenticated")
    try:
        rooms = connections.connect_socket(current_user, request.sid)
    except NotAuthenticated:
        raise ConnectionRefusedError("not_authenticated") from None
    for room in rooms:
        join_room(room)


@releases_session
def on_disconnect(reason=None):
    """Forget the socket; python-socketio takes it out of its rooms."""
    connections.disconnect_socket(request.sid)


@observability.times_send("socket")
@socket_event(SendMessageIn)
def on_send_message(user, data):
    """Send a text message; the ack carries the stored message."""
    message, created = messages.post_message(user, data.chat_id, data.text, data.client_msg_id,
                                             data.reply_to)
    return {"message": message, "created": created}


@socket_event(EditMessageIn)
def on_edit_message(user, data):
    """Edit one's own text message; the ack carries it as edited."""
    return {"message": messages.edit_message(user, data.chat_id, data.msg_id, data.text)}


@socket_event(ForwardMessageIn)
def on_forward_message(user, data):
    """Send a copy of a message to another of the user's chats; the ack carries the copy."""
    message, created = messages.forward_message(user, data.chat_id, data.msg_id,
                                                data.to_chat_id, data.client_msg_id)
    return {"message": message, "created": created}


@socket_event(PinIn)
def on_pin_message(user, data):
    """Pin (``on``) or unpin a message."""
    return {"message": messages.pin_message(user, data.chat_id, data.msg_id, data.on)}


@socket_event(ReactIn)
def on_react(user, data):
    """Add (``on``) or take back an emoji on a message."""
    return {"message": messages.react(user, data.chat_id, data.msg_id, data.emoji, data.on)}


@socket_event(MarkReadIn)
def on_mark_read(user, data):
    """Mark a chat read up to a position."""
    return {"read_seq": messages.mark_read(user, data.chat_id, data.up_to_seq)}


@socket_event(RecallIn)
def on_recall_message(user, data):
    """Recall a message."""
    return {"message": messages.recall_message(user, data.chat_id, data.msg_id)}


@socket_event(TypingIn)
def on_typing(user, data):
    """Tell the chat the user is typing, at most once per throttle interval per chat."""
    last = session.setdefault("typing", {})
    now = time.monotonic()
    key = str(data.chat_id)
    if now - last.get(key, float("-inf")) < current_app.config["TYPING_THROTTLE_SECONDS"]:
        return {"throttled": True}
    messages.notify_typing(user, data.chat_id, skip_sid=request.sid)
    last[key] = now
    return {"throttled": False}


def on_error(error):
    """Turn a failed handler into an error ack; nothing it started is kept."""
    db.session.rollback()
    if isinstance(error, ChatappError):
        return socket_ack_error(error)
    log.exception("socket handler failed")
    return socket_ack_error(ChatappError("Something went wrong on our side.",
                                         code="internal_error"))


@socket_event(CatchUpIn)
def on_catch_up(user, data):
    """What the socket missed in each chat after its last contiguous position there."""
    return {"chats": messages.catch_up(
        user, [(c.chat_id, c.after, c.changed_after) for c in data.chats])}


EVENTS = {
    "send_message": on_send_message,
    "mark_read": on_mark_read,
    "recall_message": on_recall_message,
    "edit_message": on_edit_message,
    "forward_message": on_forward_message,
    "react": on_react,
    "pin_message": on_pin_message,
    "typing": on_typing,
    "catch_up": on_catch_up,
}


def register_socket_handlers(socketio) -> None:
    """Attach the handlers to the app's Socket.IO server."""
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    for event, handler in EVENTS.items():
        socketio.on_event(event, handler)
    socketio.on_error_default(on_error)
