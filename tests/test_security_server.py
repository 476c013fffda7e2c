"""Attacks that only a real server shows: forged proxy headers on the Socket.IO handshake,
malformed WebSocket frames from anonymous clients, and an account disabled or deleted from a
shell while its socket is open."""

import os
import subprocess
import sys
import threading
import time

import pytest
import requests
import socketio
import websocket

from tests.helpers import PASSWORD
from tests.live_server import REPO_ROOT, HttpApi, LiveServer

pytestmark = pytest.mark.server

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("security")
    live = LiveServer(folder / "instance", log_path=folder / "server.log").start()
    yield live
    live.stop()
    print(f"--- server log ---\n{live.log_tail()}")


def test_a_forged_forwarded_host_opens_no_socket_without_trusted_proxies(server):
    alice = HttpApi(server.url)
    alice.register("origin-alice", PASSWORD)
    forged = alice.http.get(server.url + HANDSHAKE, timeout=5, headers={
        "Origin": "http://evil.example", "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "http"})
    assert forged.status_code == 400 and "sid" not in forged.text
    own = alice.http.get(server.url + HANDSHAKE, timeout=5, headers={"Origin": server.url})
    assert own.status_code == 200 and '"sid"' in own.text


MALFORMED_FRAMES = [
    ("empty text frame", "", websocket.ABNF.OPCODE_TEXT),
    ("empty binary frame", b"", websocket.ABNF.OPCODE_BINARY),
    ("bytes 00 ff", b"\x00\xff", websocket.ABNF.OPCODE_BINARY),
    ("text 00 ff", "\x00\xff", websocket.ABNF.OPCODE_TEXT),
    ("unknown packet type", "x", websocket.ABNF.OPCODE_TEXT),
    ("broken base64", "b!!!", websocket.ABNF.OPCODE_TEXT),
    ("nested JSON", "42" + "[" * 30_000, websocket.ABNF.OPCODE_TEXT),
    ("event that is not a list", '42{"a":1}', websocket.ABNF.OPCODE_TEXT),
    ("bare number event", "421", websocket.ABNF.OPCODE_TEXT),
]


def frames_until_closed(ws, limit=10):
    """What the server sends until it closes the connection (bounded)."""
    received = []
    for _ in range(limit):
        try:
            frame = ws.recv()
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            break
        if not frame:
            break
        received.append(frame)
    return received


@pytest.mark.parametrize(("name", "frame", "opcode"), MALFORMED_FRAMES,
                         ids=[case[0] for case in MALFORMED_FRAMES])
def test_a_malformed_frame_closes_the_connection_quietly(server, name, frame, opcode):
    lines_before = server.log_tail(200_000).count("malformed")
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=5)
    try:
        assert ws.recv().startswith("0{")  # the Engine.IO open packet
        ws.send(frame, opcode=opcode)
        answers = frames_until_closed(ws)
    finally:
        ws.close()
    assert not any("Traceback" in str(a) or "File \"/" in str(a) for a in answers), answers
    # The server goes on serving; its log has one line about this, and no traceback.
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    log = server.log_tail(200_000)
    assert "Traceback" not in log
    assert " 500 " not in log
    assert log.count("malformed") == lines_before + 1, log[-3000:]


@pytest.mark.parametrize("command", [["disable"], ["delete", "--yes"]])
def test_an_account_disabled_or_deleted_from_a_shell_loses_its_open_socket_within_a_second(
        server, command):
    name = f"shell-{command[0]}"
    alice = HttpApi(server.url)
    alice.register(name, PASSWORD)
    ended, disconnected = threading.Event(), threading.Event()
    sock = socketio.Client(reconnection=False)
    sock.on("session_ended", lambda payload: ended.set())
    sock.on("disconnect", lambda *reason: disconnected.set())
    sock.connect(server.url, headers={"Cookie": alice.cookie_header()},
                 transports=["websocket"], wait_timeout=5)
    try:
        env = {**os.environ, "CHATAPP_INSTANCE_PATH": str(server.instance_path)}
        env.pop("DATABASE_URL", None)
        result = subprocess.run(
            [sys.executable, "-m", "chatapp", "users", command[0], name, *command[1:]],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        done_at = time.monotonic()
        assert disconnected.wait(5), "the socket outlived its session"
        assert time.monotonic() - done_at < 1.0
        assert ended.is_set()
    finally:
        sock.disconnect()
