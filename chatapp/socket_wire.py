"""Malformed Socket.IO traffic closes the connection quietly: one log line, no traceback, and
never an HTTP 500 (whose body some servers fill with the traceback).

Anyone can open ``/socket.io/`` before logging in and send any frame. python-engineio and
python-socketio raise on some malformed frames instead of refusing them: an empty WebSocket
frame, an unknown packet type, broken base64, JSON nested past the interpreter's recursion
limit. Three guards turn each of those into a closed connection:

- ``WIRE_JSON`` parses packet JSON and reports over-deep documents as invalid JSON;
- ``checked_websocket`` refuses a WebSocket frame that is not an Engine.IO packet before
  Engine.IO decodes it (Engine.IO then logs one line and closes the connection);
- ``guard_socketio_packets`` closes a connection whose Socket.IO packet cannot be decoded.
"""

import base64
import binascii
import json
import logging

log = logging.getLogger(__name__)

ENGINEIO_PACKET_TYPES = frozenset("0123456")
# What python-socketio raises on a packet it cannot decode; anything else is logged in full.
MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError)


class WIRE_JSON:  # noqa: N801  (used as a module, like ``json``)
    """The ``json`` module for Socket.IO packets: over-deep documents are a ValueError."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(s, **kwargs):
        """Parse ``s``; a document nested past the recursion limit is invalid JSON."""
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _engineio_frame_problem(frame) -> str | None:
    """Why a WebSocket frame is not an Engine.IO packet, or None if it is one."""
    if frame is None:
        return None  # the client closed the connection
    if len(frame) == 0:
        return "empty frame"
    if isinstance(frame, str):
        kind = frame[0]
        if kind == "b":
            try:
                base64.b64decode(frame[1:], validate=True)
            except (binascii.Error, ValueError):
                return "broken base64 frame"
        elif kind not in ENGINEIO_PACKET_TYPES:
            return "unknown packet type"
    return None


class _CheckedFrames:
    """A driver's WebSocket whose ``wait`` raises on frames that are not Engine.IO packets.

    Engine.IO's receive loop treats an exception from ``wait`` as a broken connection and
    closes the socket cleanly.
    """

    def __init__(self, ws):
        self._ws = ws

    def wait(self):
        frame = self._ws.wait()
        problem = _engineio_frame_problem(frame)
        if problem:
            log.warning("closed Socket.IO connection: malformed WebSocket frame (%s)", problem)
            raise ValueError(f"malformed frame ({problem})")
        return frame

    def __getattr__(self, name):
        return getattr(self._ws, name)


def checked_websocket(driver_websocket, compression: bool = False):
    """Wrap an Engine.IO async driver's WebSocket class so its frames are checked first.

    Unless ``compression``, the client's offer of permessage-deflate is dropped before the
    handshake (both simple-websocket and eventlet read it from the WSGI environ), so frames go
    out uncompressed: docs/architecture.md gives the measurements behind that default.
    """

    def websocket(handler, server):
        accept = driver_websocket(lambda ws: handler(_CheckedFrames(ws)), server)
        if compression:
            return accept

        def accept_uncompressed(environ, start_response):
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
            return accept(environ, start_response)

        return accept_uncompressed

    return websocket


def guard_socketio_packets(server, compression: bool = False) -> None:
    """Install the guards on a python-socketio ``Server`` (after ``SocketIO.init_app``), and
    the WebSocket compression choice."""
    eio = server.eio
    # Engine.IO looks its WebSocket class up in this per-server table of the async driver.
    if eio._async.get("websocket") is not None:
        eio._async = {**eio._async,
                      "websocket": checked_websocket(eio._async["websocket"], compression)}

    handle_message = eio.handlers["message"]

    def message(eio_sid, data):
        try:
            return handle_message(eio_sid, data)
        except Exception as error:  # a packet python-socketio could not decode or dispatch
            log.warning("closed Socket.IO connection %s: malformed packet (%s: %s)",
                        eio_sid, type(error).__name__, str(error)[:100],
                        exc_info=not isinstance(error, MALFORMED))
            eio.disconnect(eio_sid)
        return None

    eio.on("message", message)
