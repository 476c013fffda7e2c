"""Presence across real processes sharing one database and a Redis message queue: a process
killed with SIGKILL leaves nobody online for longer than the heartbeat timeout, and one stopped
with SIGTERM takes its users offline at once."""

import os
import signal
import threading
import time
import uuid

import pytest
import redis
import socketio

from tests.helpers import PASSWORD, require
from tests.live_server import HttpApi, LiveServer

pytestmark = pytest.mark.server

REDIS_URL = os.environ.get("CHATAPP_TEST_REDIS", "redis://127.0.0.1:6379/0")
TIMEOUT = 2.0  # PROCESS_TIMEOUT_SECONDS for these servers


@pytest.fixture
def cluster(tmp_path):
    """Start processes on one instance folder (one SQLite file, one secret key) and one Redis
    channel of their own."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        require(False, f"Redis at {REDIS_URL} is not reachable: {error}")
    env = {"CHATAPP_SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
           "CHATAPP_SOCKETIO_CHANNEL": f"chatapp-test-{uuid.uuid4().hex}",
           "CHATAPP_PROCESS_HEARTBEAT_SECONDS": "0.3",
           "CHATAPP_PROCESS_TIMEOUT_SECONDS": str(TIMEOUT)}
    started = []

    def start():
        server = LiveServer(tmp_path / "instance", log_path=tmp_path / f"p{len(started)}.log",
                            env=env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
        print(f"--- {server.log_path} ---\n{server.log_tail()}")


def watcher(url, api):
    """A socket of ``api``'s user that records presence changes as they arrive."""
    seen, changed = [], threading.Condition()
    sock = socketio.Client(reconnection=False)

    @sock.on("presence_changed")
    def on_presence(payload):
        with changed:
            seen.append((time.monotonic(), payload))
            changed.notify_all()

    sock.connect(url, headers={"Cookie": api.cookie_header()}, transports=["websocket"],
                 wait_timeout=5)
    sock.seen, sock.changed = seen, changed
    return sock


def wait_for(sock, user_id, online, timeout):
    with sock.changed:
        sock.changed.wait_for(lambda: any(p["user_id"] == user_id and p["online"] is online
                                          for _, p in sock.seen), timeout)
    return [t for t, p in sock.seen if p["user_id"] == user_id and p["online"] is online]


def friends(url, a_name, b_name):
    a, b = HttpApi(url), HttpApi(url)
    alice, bob = a.register(a_name, PASSWORD), b.register(b_name, PASSWORD)
    sent = a.post("/api/friend-requests", json={"user_id": bob.user_id}).json()
    assert b.post(f"/api/friend-requests/{sent['request']['request_id']}/accept").ok
    return (a, alice), (b, bob)


def online(api, user_id):
    """Whether ``api``'s user sees ``user_id`` online (their private chat's other_user)."""
    chat = api.post("/api/chats/private", json={"user_id": user_id}).json()["chat"]
    return chat["other_user"]["online"]


def alice_on_first_bob_watching(cluster, prefix):
    """Two processes; alice, connected to the first, and her friend bob, watching her
    presence from the second."""
    first, second = cluster(), cluster()
    (alice_api, alice), (bob_api, _) = friends(second.url, f"{prefix}-alice", f"{prefix}-bob")
    alice_sock = socketio.Client(reconnection=False)
    alice_sock.connect(first.url, headers={"Cookie": alice_api.cookie_header()},
                       transports=["websocket"], wait_timeout=5)
    bob_sock = watcher(second.url, bob_api)
    bob_sock.alice_sock = alice_sock  # kept alive as long as the test holds bob's
    return first, second, alice, bob_api, bob_sock


def test_a_killed_process_leaves_nobody_online_beyond_the_timeout(cluster):
    first, second, alice, bob_api, bob_sock = alice_on_first_bob_watching(cluster, "kill")
    try:
        assert online(bob_api, alice.user_id)
        os.kill(first.process.pid, signal.SIGKILL)
        killed = time.monotonic()
        [when] = wait_for(bob_sock, alice.user_id, False, timeout=TIMEOUT + 5)
        assert when - killed < TIMEOUT + 2  # the timeout, plus a heartbeat or two
        assert not online(bob_api, alice.user_id)
        # A restarted process does not bring anyone back.
        third = cluster()
        assert third.url and not online(bob_api, alice.user_id)
    finally:
        bob_sock.disconnect()


def test_a_process_stopped_cleanly_takes_its_users_offline_at_once(cluster):
    first, second, alice, bob_api, bob_sock = alice_on_first_bob_watching(cluster, "term")
    try:
        assert online(bob_api, alice.user_id)
        first.process.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        assert first.process.wait(10) == 0
        [when] = wait_for(bob_sock, alice.user_id, False, timeout=TIMEOUT)
        assert when - stopped < 1.5  # not the heartbeat timeout: at once
        assert not online(bob_api, alice.user_id)
    finally:
        bob_sock.disconnect()
