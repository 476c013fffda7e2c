"""How many connections one real server process holds, and what each WebSocket negotiates:
no connection cap below the machine's open-file limit (a soft limit of 1,024 is raised at
start, and eventlet's 1,024-connection default is lifted), and no permessage-deflate unless
configured."""

import resource
import sys

import pytest
import websocket

from tests.live_server import LiveServer

pytestmark = pytest.mark.server

ENGINEIO_WS = "/socket.io/?EIO=4&transport=websocket"
DEFLATE_OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"
MORE_THAN_1024 = 1_300


def started(tmp_path, name, env=None, soft_file_limit=None):
    """A live ``python wsgi.py``; with ``soft_file_limit``, started under that soft limit."""
    command = None
    if soft_file_limit:
        command = ["bash", "-c", f'ulimit -Sn {soft_file_limit} && exec "$0" wsgi.py',
                   sys.executable]
    return LiveServer(tmp_path / name / "instance", log_path=tmp_path / f"{name}.log",
                      env=env, command=command).start()


def open_engineio(url: str, headers=()) -> websocket.WebSocket:
    """An Engine.IO WebSocket (no Socket.IO login needed), after its open packet arrived."""
    ws = websocket.create_connection(url.replace("http", "ws", 1) + ENGINEIO_WS, timeout=10,
                                     header=list(headers))
    opened = ws.recv()
    assert opened.startswith("0{"), opened
    return ws


@pytest.mark.parametrize("mode", ["gevent", "eventlet"])
def test_a_server_started_under_a_1024_file_limit_holds_more_sockets(tmp_path, mode):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4 * MORE_THAN_1024:
        pytest.fail(f"this machine's hard open-file limit ({hard}) is too low for the test")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the test's own client sockets
    server = started(tmp_path, mode, env={"CHATAPP_ASYNC_MODE": mode}, soft_file_limit=1024)
    sockets = []
    try:
        for _ in range(MORE_THAN_1024):
            sockets.append(open_engineio(server.url))
        # All still served: a Socket.IO connect without a session is refused ("44...").
        for ws in sockets[::100]:
            ws.send("40")
            assert ws.recv().startswith("44"), "no answer on an open socket"
        log = server.log_tail(100_000)
        assert "open-file limit" in log and "room for about" in log
        assert "open-file limit 1024:" not in log
    finally:
        for ws in sockets:
            ws.close()
        server.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize(("compression", "negotiated"), [("", False), ("1", True)])
def test_websocket_compression_is_off_unless_configured(tmp_path, compression, negotiated):
    env = {"CHATAPP_SOCKETIO_WEBSOCKET_COMPRESSION": compression} if compression else {}
    server = started(tmp_path, "deflate", env=env)
    try:
        # (websocket-client cannot read compressed frames: only the handshake is looked at.)
        ws = websocket.create_connection(server.url.replace("http", "ws", 1) + ENGINEIO_WS,
                                         timeout=10, header=[DEFLATE_OFFER])
        extensions = ws.getheaders().get("sec-websocket-extensions", "")
        ws.close()
        assert ("permessage-deflate" in extensions) is negotiated, extensions
        # A client that does not offer it works either way.
        open_engineio(server.url).close()
    finally:
        server.stop()
