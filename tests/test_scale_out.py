"""Scale-out acceptance: three chatapp processes on one PostgreSQL database and one Redis
message queue, behind nginx with the shipped deploy/nginx.conf. What one process does as a
single server, the three do together.
"""

import io
import os
import signal
import threading
import time

import pytest
import requests
import socketio

from tests.helpers import PASSWORD, image_bytes
from tests.live_server import HttpApi
from tests.scale_out import running_cluster

pytestmark = [pytest.mark.server, pytest.mark.postgres]


@pytest.fixture
def cluster(tmp_path):
    """Three processes behind nginx (tests/scale_out.py)."""
    with running_cluster(tmp_path) as (servers, nginx):
        yield servers, nginx

class Client:
    """A user's socket on one URL, recording the events it receives."""

    def __init__(self, url, api, transports=("websocket",), reconnection=False):
        self.received = []
        self.lock = threading.Condition()
        # The user's own HTTP session: its cookies (log-in and nginx's routing cookie) go
        # with every request of the polling transport, as a browser's do.
        self.sock = socketio.Client(reconnection=reconnection, reconnection_delay=0.2,
                                    reconnection_delay_max=0.5, http_session=api.http)
        self.sock.on("*", self._record)
        self.sock.connect(url, headers={"Cookie": api.cookie_header()},
                          transports=list(transports), wait_timeout=10)

    def _record(self, event, payload=None):
        with self.lock:
            self.received.append((event, payload))
            self.lock.notify_all()

    def events(self, name):
        with self.lock:
            return [p for e, p in self.received if e == name]

    def wait(self, condition, timeout=5):
        with self.lock:
            return self.lock.wait_for(condition, timeout)

    def messages(self):
        return [p["message"] for p in self.events("message_created")
                if p["message"]["msg_type"] != "system"]


def people(base_url, *names):
    apis = []
    for name in names:
        api = HttpApi(base_url)
        person = api.register(name, PASSWORD)
        apis.append((api, person))
    return apis


def befriend(a, b):
    (a_api, _), (b_api, b_person) = a, b
    sent = a_api.post("/api/friend-requests", json={"user_id": b_person.user_id}).json()
    assert b_api.post(f"/api/friend-requests/{sent['request']['request_id']}/accept").ok


def test_three_processes_behind_nginx_behave_as_one_server(cluster):
    servers, nginx = cluster
    (alice, bob, carol) = people(nginx.url, "scale-alice", "scale-bob", "scale-carol")
    befriend(alice, bob)
    befriend(alice, carol)
    group = alice[0].post("/api/chats", json={
        "chat_name": "Scale", "member_ids": [bob[1].user_id, carol[1].user_id]}
    ).json()["chat"]["chat_id"]
    # Each person's socket on a different process, straight to it.
    socks = {name: Client(server.url, person[0])
             for name, person, server in zip(("alice", "bob", "carol"), (alice, bob, carol),
                                             servers, strict=True)}

    # A send through any process (and through nginx) reaches every member once.
    sent = []
    for n, (api, _) in enumerate((alice, bob, carol)):
        for base in (servers[n].url, nginx.url):
            api.base_url = base
            response = api.post(f"/api/chats/{group}/messages",
                                json={"text": f"hello {n} {base[-4:]}",
                                      "client_msg_id": f"s-{n}-{base[-4:]}"})
            assert response.status_code == 201, response.text
            sent.append(response.json()["message"]["msg_id"])
    for sock in socks.values():
        assert sock.wait(lambda s=sock: len(s.messages()) >= len(sent)), sock.received
        assert sorted(m["msg_id"] for m in sock.messages()) == sorted(sent)

    # Typing and presence cross processes.
    socks["bob"].sock.call("typing", {"chat_id": group}, timeout=5)
    assert socks["alice"].wait(lambda: socks["alice"].events("typing"))
    dave = people(nginx.url, "scale-dave")[0]
    befriend(alice, dave)
    dave_sock = Client(servers[2].url, dave[0])
    assert socks["alice"].wait(lambda: any(
        p["user_id"] == dave[1].user_id and p["online"] for p in
        socks["alice"].events("presence_changed")))
    dave_sock.sock.disconnect()
    assert socks["alice"].wait(lambda: any(
        p["user_id"] == dave[1].user_id and not p["online"] for p in
        socks["alice"].events("presence_changed")))

    # A file uploaded through one process downloads through the others.
    alice[0].base_url = servers[0].url
    upload = alice[0].post(f"/api/chats/{group}/files", files={
        "file": ("photo.png", io.BytesIO(image_bytes()), "image/png")},
        data={"client_msg_id": "file-1"})
    assert upload.status_code == 201, upload.text
    path = upload.json()["message"]["file"]["url"]
    for base in (servers[1].url, servers[2].url, nginx.url):
        bob[0].base_url = base
        download = bob[0].get(path)
        assert download.status_code == 200 and download.content == image_bytes()

    # A member removed on one process stops getting the chat's events on another, at once.
    alice[0].base_url = servers[0].url
    assert alice[0].request("DELETE", f"/api/chats/{group}/members/{carol[1].user_id}").ok
    assert socks["carol"].wait(lambda: socks["carol"].events("member_removed"))
    before = len(socks["carol"].messages())
    bob[0].base_url = servers[1].url
    last = bob[0].post(f"/api/chats/{group}/messages",
                       json={"text": "after carol", "client_msg_id": "s-last"}).json()["message"]
    assert socks["alice"].wait(lambda: last["msg_id"] in
                               {m["msg_id"] for m in socks["alice"].messages()})
    assert len(socks["carol"].messages()) == before

    # The polling transport works through nginx too: its requests stick to one process.
    polling = Client(nginx.url, bob[0], transports=("polling",))
    assert polling.sock.call("typing", {"chat_id": group}, timeout=5)["ok"]
    for sock in (*socks.values(), polling):
        sock.sock.disconnect()


def process_of(url, user_id, servers):
    """The server whose process holds ``user_id``'s socket (from the heartbeat table)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            pids = set(conn.execute(text(
                "SELECT p.pid FROM user_sockets s JOIN server_processes p "
                "ON p.process_id = s.process_id WHERE s.user_id = :u"), {"u": user_id}).scalars())
    finally:
        engine.dispose()
    [server] = [s for s in servers if s.process.pid in pids]
    return server


def test_a_killed_process_clients_reconnect_through_nginx_and_miss_nothing(cluster):
    servers, nginx = cluster
    (alice, bob) = people(nginx.url, "kill9-alice", "kill9-bob")
    befriend(alice, bob)
    chat = alice[0].post("/api/chats/private", json={"user_id": bob[1].user_id}
                         ).json()["chat"]["chat_id"]
    # bob's socket goes through nginx to some process, and reconnects by itself.
    bob_sock = Client(nginx.url, bob[0], reconnection=True)
    victim = process_of(servers[0].extra_env["CHATAPP_DATABASE_URL"], bob[1].user_id, servers)

    sent, killed = [], threading.Event()

    def alice_sends(count=60):
        for n in range(count):
            if n == 20:
                killed.wait(10)
            for _ in range(50):  # a send that failed with its process is sent again
                try:
                    response = alice[0].post(f"/api/chats/{chat}/messages",
                                             json={"text": f"k{n}", "client_msg_id": f"k-{n}"})
                except requests.RequestException:
                    response = None
                if response is not None and response.status_code in (200, 201):
                    sent.append(response.json()["message"])
                    break
                time.sleep(0.1)
            time.sleep(0.02)

    sender = threading.Thread(target=alice_sends)
    sender.start()
    time.sleep(0.3)
    os.kill(victim.process.pid, signal.SIGKILL)
    victim.process.wait(5)
    killed.set()
    sender.join(60)
    assert len({m["msg_id"] for m in sent}) == 60

    # bob is connected again, through nginx to a live process; he catches up from his last
    # contiguous position and ends with every message exactly once.
    assert bob_sock.wait(lambda: bob_sock.sock.connected
                         and len(bob_sock.events("message_created")) > 0, timeout=15)
    time.sleep(0.5)
    held = {p["message"]["msg_id"]: p["message"] for p in bob_sock.events("message_created")}
    seqs = {m["seq"] for m in held.values()}
    position = 0
    while position + 1 in seqs:
        position += 1
    ack = bob_sock.sock.call("catch_up", {"chats": [{"chat_id": chat, "after": position}]},
                             timeout=10)
    assert ack["ok"], ack
    for message in ack["chats"][0]["messages"]:
        held.setdefault(message["msg_id"], message)
    mine = sorted((m for m in held.values() if m["msg_type"] != "system"),
                  key=lambda m: m["seq"])
    assert [m["msg_id"] for m in mine] == [m["msg_id"] for m in sorted(
        sent, key=lambda m: m["seq"])]
    bob_sock.sock.disconnect()
