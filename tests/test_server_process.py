"""The production entry point as a real process: ``python wsgi.py`` on an instance folder.

These tests check what only the real server shows: it builds its own database and secret on a
first start and keeps both across restarts, and the JSON API and Socket.IO work over real HTTP
and WebSocket connections (eventlet), with log-in, CSRF and same-origin rules enforced.
"""

import re
import sqlite3
import stat
from contextlib import closing

import pytest
import socketio

from tests.helpers import PASSWORD
from tests.live_server import HttpApi, LiveServer

# It reads the instance folder's SQLite file behind the server's back.
pytestmark = [pytest.mark.server, pytest.mark.sqlite_only]

TABLES = {"users", "chats", "messages", "friendships", "memberships", "message_reads",
          "alembic_version"}


@pytest.fixture
def start_server(tmp_path):
    """Start ``python wsgi.py`` on an instance folder (default: a new empty one)."""
    servers = []

    def start(instance=None):
        instance = instance or tmp_path / "instance"
        server = LiveServer(instance, log_path=tmp_path / f"server-{len(servers)}.log")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
        # pytest shows a fixture's teardown output only for tests that failed.
        print(f"--- {server.log_path} ---\n{server.log_tail()}")


def socket_client():
    """A Socket.IO client that records why the server refused it."""
    client = socketio.Client(reconnection=False)
    client.refusals = []
    client.on("connect_error", client.refusals.append)
    return client


def test_first_start_builds_the_instance_and_a_restart_reuses_it(start_server, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    assert list(instance.iterdir()) == []

    server = start_server(instance)
    db_file = instance / "chatapp.db"
    assert db_file.is_file()
    with closing(sqlite3.connect(db_file)) as con:
        tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
        assert tables >= TABLES, f"missing: {TABLES - tables}"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        revisions = con.execute("SELECT version_num FROM alembic_version").fetchall()
        assert len(revisions) == 1 and revisions[0][0]

    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}\s*", key)

    alice_laptop = HttpApi(server.url)
    alice = alice_laptop.register("alice", PASSWORD, "alice@example.com")
    assert alice_laptop.get("/api/me").json()["user"]["user_name"] == "alice"
    server.stop()

    # Second start on the same folder: same key, same data, no migration trouble.
    server = start_server(instance)
    assert key_file.read_text() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The session cookie signed before the restart is still good (the key was reused).
    alice_laptop.base_url = server.url  # cookies are per host, not per port
    me = alice_laptop.get("/api/me")
    assert me.status_code == 200, me.text
    assert me.json()["user"]["user_email"] == "alice@example.com"
    assert HttpApi(server.url).login(alice).get("/api/me").json()["user"]["user_id"] == \
        alice.user_id
    with closing(sqlite3.connect(db_file)) as con:
        assert con.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM users").fetchone()[0] == 1


def test_json_api_and_sockets_over_real_connections(start_server):
    server = start_server()
    url = server.url

    anonymous = HttpApi(url)
    me = anonymous.get("/api/me")
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "not_authenticated"
    # Without the CSRF header a state-changing request is refused, even to register.
    refused = anonymous.post("/api/auth/register", csrf=False,
                             json={"user_name": "mallory", "password": PASSWORD})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "csrf_failed"

    alice_laptop = HttpApi(url)
    alice = alice_laptop.register("alice", PASSWORD)
    alice_phone = HttpApi(url).login(alice, remember=True)
    assert alice_phone.get("/api/me").json()["user"]["user_name"] == "alice"
    assert "remember_token" in alice_phone.http.cookies

    # A logged-in socket connects with the session cookie, over a real WebSocket.
    sock = socket_client()
    sock.connect(url, headers={"Cookie": alice_phone.cookie_header()}, wait_timeout=5)
    try:
        assert sock.connected
        assert sock.get_sid()
        assert sock.transport() in {"websocket", "polling"}
    finally:
        sock.disconnect()

    # An anonymous socket is refused, and so is another site using alice's cookie.
    stranger = socket_client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        stranger.connect(url, wait_timeout=5)
    assert not stranger.connected
    assert stranger.refusals == [{"message": "not_authenticated"}]

    cross_site = socket_client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        cross_site.connect(url, wait_timeout=5, headers={
            "Cookie": alice_phone.cookie_header(), "Origin": "http://evil.example"})
    assert not cross_site.connected

    # Logging out on the laptop ends the phone's session too: its cookies open no socket.
    assert alice_laptop.post("/api/auth/logout").status_code == 204
    assert alice_phone.get("/api/me").status_code == 401
    revoked = socket_client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        revoked.connect(url, headers={"Cookie": alice_phone.cookie_header()}, wait_timeout=5)
    assert revoked.refusals == [{"message": "not_authenticated"}]


def test_an_acknowledged_message_survives_a_crash_of_the_server(start_server, tmp_path):
    """Ack means committed: kill -9 right after the ack, restart, and the message is there."""
    instance = tmp_path / "instance"
    server = start_server(instance)
    alice_api = HttpApi(server.url)
    alice = alice_api.register("alice", PASSWORD)
    chat_id = alice_api.post("/api/chats", json={"chat_name": "Notes"}).json()["chat"]["chat_id"]

    sock = socket_client()
    sock.connect(server.url, headers={"Cookie": alice_api.cookie_header()},
                 transports=["websocket"], wait_timeout=5)
    acks = [sock.call("send_message", {"chat_id": chat_id, "text": f"note {i}",
                                       "client_msg_id": f"crash-{i}"}, timeout=5)
            for i in range(20)]
    assert all(ack["ok"] for ack in acks)
    server.process.kill()  # SIGKILL: no shutdown, no checkpoint
    server.process.wait(timeout=5)
    sock.disconnect()

    server = start_server(instance)
    survivor = HttpApi(server.url).login(alice)
    page = survivor.get(f"/api/chats/{chat_id}/messages?limit=100").json()
    texts = [m["msg_text"] for m in page["messages"] if m["msg_type"] == "text"]
    assert texts == [f"note {i}" for i in range(20)]
