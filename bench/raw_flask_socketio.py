"""A raw Flask-SocketIO broadcast server: the baseline that bench/suite.py compares chatapp with.

    .venv/bin/python bench/raw_flask_socketio.py [PORT]      (or CHATAPP_PORT=PORT ...)

No database, no sessions, no checks: a client emits ``join`` {room} to enter a room, and
``send`` {room, message, ...} to have the whole payload broadcast as ``message`` to everyone in
the room (the sender included, as chatapp's ``message_created`` reaches the sender's own
socket); both events are acknowledged with {"ok": true}, the ack of ``send`` after the
broadcast. ``GET /healthz`` answers {"status": "ok"}, so tests/live_server.py's ``LiveServer``
can start it and wait for it.

It is served the way chatapp's wsgi.py serves by default: gevent's monkey patching first,
Flask-SocketIO in async mode gevent (WebSockets through simple-websocket, with its defaults),
``gevent.pywsgi.WSGIServer`` on a listening socket with TCP_NODELAY and the same backlog.
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
from flask import Flask, jsonify  # noqa: E402
from flask_socketio import SocketIO, emit, join_room  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent")


@app.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify(status="ok")


@socketio.on("join")
def on_join(data):
    """Enter the room named in the payload."""
    join_room(str(data["room"]))
    return {"ok": True}


@socketio.on("send")
def on_send(data):
    """Broadcast the payload as ``message`` to its room, then acknowledge."""
    emit("message", data, to=str(data["room"]))
    return {"ok": True}


def listener(host: str, port: int) -> socket.socket:
    """A listening socket like chatapp's: SO_REUSEADDR, TCP_NODELAY (inherited by accepted
    sockets), backlog 4096."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def main() -> None:
    """Serve until SIGTERM or SIGINT."""
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CHATAPP_PORT", "5000"))
    host = os.environ.get("CHATAPP_HOST", "127.0.0.1")
    server = WSGIServer(listener(host, port), app)
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, server.stop, 2)
    print(f"raw Flask-SocketIO server on http://{host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
