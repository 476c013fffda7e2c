"""A message-queue outage, on real processes and a Redis server this test starts, stops and
starts again: sends are still stored, readiness says the queue is down, and when it is back
every socket is told to catch up and gets what was sent meanwhile exactly once."""

import subprocess
import threading
import time
import uuid

import pytest
import redis
import requests
import socketio

from tests.helpers import PASSWORD, require
from tests.live_server import HttpApi, LiveServer, free_port

pytestmark = pytest.mark.server


class RedisServer:
    """``redis-server`` on a port of its own, with no persistence."""

    def __init__(self, folder):
        self.port = free_port()
        self.folder = folder
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        try:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            require(False, "redis-server is not installed")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=0.5).ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def readiness(url):
    response = requests.get(url + "/readyz", timeout=5)
    return response.status_code, response.json()


def wait_until(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_sends_during_a_queue_outage_reach_everyone_exactly_once_after_it(tmp_path, own_redis):
    env = {"CHATAPP_SOCKETIO_MESSAGE_QUEUE": own_redis.url,
           "CHATAPP_SOCKETIO_CHANNEL": f"outage-{uuid.uuid4().hex}"}
    servers = [LiveServer(tmp_path / "instance", log_path=tmp_path / f"p{n}.log", env=env)
               for n in range(2)]
    for server in servers:
        server.start()
    first, second = servers
    try:
        alice_api, bob_api = HttpApi(first.url), HttpApi(second.url)
        alice_api.register("outage-alice", PASSWORD)
        bob = bob_api.register("outage-bob", PASSWORD)
        sent = alice_api.post("/api/friend-requests", json={"user_id": bob.user_id}).json()
        assert bob_api.post(f"/api/friend-requests/{sent['request']['request_id']}/accept").ok
        chat = alice_api.post("/api/chats/private", json={"user_id": bob.user_id}
                              ).json()["chat"]["chat_id"]
        assert readiness(first.url) == (200, {"status": "ok", "database": "ok", "queue": "ok"})

        live, told = [], threading.Event()
        alice = socketio.Client(reconnection=False)
        alice.on("message_created", lambda p: live.append(p["message"]))
        alice.on("catch_up_needed", lambda p: told.set())
        alice.connect(first.url, headers={"Cookie": alice_api.cookie_header()},
                      transports=["websocket"], wait_timeout=5)

        def bob_sends(text):
            response = bob_api.post(f"/api/chats/{chat}/messages",
                                    json={"text": text, "client_msg_id": text.replace(" ", "-")})
            assert response.status_code == 201, response.text
            return response.json()["message"]

        before = bob_sends("before")
        assert wait_until(lambda: [m["msg_id"] for m in live] == [before["msg_id"]], 5)
        position = before["seq"]  # alice holds everything up to here

        own_redis.stop()
        assert wait_until(lambda: readiness(first.url)[0] == 503, 10)
        assert readiness(first.url)[1]["queue"] == "down"
        during = [bob_sends(f"during {n}") for n in range(3)]  # stored all the same

        own_redis.start()
        assert told.wait(15), "the sockets were never told to catch up"
        assert wait_until(lambda: readiness(first.url)[0] == 200, 10)
        ack = alice.call("catch_up", {"chats": [{"chat_id": chat, "after": position}]},
                         timeout=10)
        caught = ack["chats"][0]["messages"]
        assert [m["msg_id"] for m in caught] == [m["msg_id"] for m in during]
        # Merged with what did arrive live (none of it, or some), each message once, in order.
        held = {m["msg_id"]: m for m in [before, *live, *caught]}
        assert [m["seq"] for m in sorted(held.values(), key=lambda m: m["seq"])] == [
            before["seq"], *[m["seq"] for m in during]]

        after = bob_sends("after")
        assert wait_until(lambda: after["msg_id"] in {m["msg_id"] for m in live}, 5)
        alice.disconnect()
    finally:
        for server in servers:
            server.stop()
            print(f"--- {server.log_path} ---\n{server.log_tail()}")
