"""A flood of sends from one user, on a real server with the rate limits on: it is refused
once her limit is spent, and another user's chat goes on unhindered meanwhile.

How much the flood slows the other user is measured, not asserted: ``bench/flood.py``.
"""

import threading

import pytest
import socketio

from tests.helpers import PASSWORD
from tests.live_server import HttpApi, LiveServer

pytestmark = pytest.mark.server

SEND_LIMIT = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flood")
    live = LiveServer(folder / "instance", log_path=folder / "server.log", env={
        "CHATAPP_RATELIMIT_ENABLED": "1",
        "CHATAPP_LOGIN_RATE_LIMIT": "1000 per minute",
        "CHATAPP_REGISTER_RATE_LIMIT": "1000 per minute",
        "CHATAPP_SEND_RATE_LIMIT": f"{SEND_LIMIT} per minute",
    }).start()
    yield live
    live.stop()
    print(f"--- server log ---\n{live.log_tail()}")


def connect(api):
    sock = socketio.Client(reconnection=False)
    sock.connect(api.base_url, headers={"Cookie": api.cookie_header()},
                 transports=["websocket"], wait_timeout=5)
    return sock


def own_group(api, name):
    response = api.post("/api/chats", json={"chat_name": name})
    assert response.status_code == 201, response.text
    return response.json()["chat"]["chat_id"]


def test_a_flood_from_one_user_leaves_another_users_chat_alone(server):
    mallory, alice = HttpApi(server.url), HttpApi(server.url)
    mallory.register("flood-mallory", PASSWORD)
    alice.register("flood-alice", PASSWORD)
    spam, talk = own_group(mallory, "spam"), own_group(alice, "talk")
    flooders = [connect(mallory) for _ in range(3)]
    alice_sock = connect(alice)
    outcomes, stop = [], threading.Event()

    def flood(sock, lane):
        n = 0
        while not stop.is_set():
            ack = sock.call("send_message", {"chat_id": spam, "text": "spam",
                                             "client_msg_id": f"{lane}-{n}"}, timeout=10)
            outcomes.append("ok" if ack["ok"] else ack["error"]["code"])
            n += 1

    threads = [threading.Thread(target=flood, args=(sock, lane))
               for lane, sock in enumerate(flooders)]
    try:
        for thread in threads:
            thread.start()
        acks = [alice_sock.call("send_message", {"chat_id": talk, "text": f"hello {n}",
                                                 "client_msg_id": f"a-{n}"}, timeout=10)
                for n in range(SEND_LIMIT)]
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
        for sock in (*flooders, alice_sock):
            sock.disconnect()

    assert [ack["ok"] for ack in acks] == [True] * SEND_LIMIT, acks
    assert outcomes.count("ok") == SEND_LIMIT
    assert set(outcomes) == {"ok", "rate_limited"}
    assert outcomes.count("rate_limited") > SEND_LIMIT  # the flood really went on meanwhile
    texts = [m["msg_text"] for m in mallory.get(f"/api/chats/{spam}/messages").json()["messages"]]
    assert texts.count("spam") == SEND_LIMIT
    texts = [m["msg_text"] for m in alice.get(f"/api/chats/{talk}/messages").json()["messages"]]
    assert [t for t in texts if t.startswith("hello")] == [f"hello {n}" for n in range(SEND_LIMIT)]
