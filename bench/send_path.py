"""The send path in one process: SQL statements, commits and CPU per ``send_message``.

    .venv/bin/python bench/send_path.py [--members 50] [--messages 500] [--engine sqlite|postgresql]
    .venv/bin/python bench/send_path.py --profile     (cProfile of the sends, top 30 by own time)

A group of ``--members`` people, each with one Socket.IO test client (Flask-SocketIO's, in this
process: no network, so what is measured is the server's own work per message, the delivery
to 50 sockets' queues included). One member sends ``--messages`` messages; the figures are
per send: statements executed, commits, and CPU time (process time), beside the CPU of a raw
Flask-SocketIO broadcast of a payload of the same size to the same 50 test clients, in the
same run. The statement count is exact and repeatable: a change to the send path shows here
first.
"""

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flask import Flask  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402
from sqlalchemy import event  # noqa: E402

from chatapp import create_app  # noqa: E402
from chatapp.database import upgrade_database  # noqa: E402
from chatapp.extensions import db, socketio  # noqa: E402
from chatapp.services import accounts, friends, groups  # noqa: E402
from tests.live_server import postgres_database  # noqa: E402

PASSWORD = "bench password 1"


def build_group(app, members: int) -> tuple[list, int]:
    """``members`` users, all friends of the first, in one group the first owns."""
    with app.test_request_context():
        users = [accounts.register_user(f"bench{i:03d}", PASSWORD) for i in range(members)]
        owner = users[0]
        for other in users[1:]:
            request = friends.send_friend_request(owner, other.user_id)
            friends.accept_friend_request(other, request.id)
        chat = groups.create_group(owner, "Bench", [u.user_id for u in users[1:]])
        return [(u.user_id, u.user_name) for u in users], chat.chat_id


def connect(app, user_name: str):
    client = app.test_client()
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    client.post("/api/auth/login", json={"user_name": user_name, "password": PASSWORD},
                headers={"X-CSRFToken": token})
    return socketio.test_client(app, flask_test_client=client)


class StatementCounter:
    """Counts statements and commits on an engine while ``counting``."""

    def __init__(self, engine):
        self.statements = self.commits = 0
        self.counting = False
        self.last = []  # the statements of the latest send
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, _conn, _cursor, statement, *_args):
        if self.counting:
            self.statements += 1
            self.last.append(" ".join(statement.split())[:110])

    def _commit(self, *_args):
        if self.counting:
            self.commits += 1


def chatapp_sends(database_url: str, members: int, messages: int, profile: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="chatapp-send-path-") as tmp:
        app = create_app({
            "INSTANCE_PATH": str(Path(tmp) / "instance"),
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp}/chatapp.db",
            "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            "RATELIMIT_ENABLED": False, "SOCKETIO_ASYNC_MODE": "threading",
        })
        upgrade_database(app)
        users, chat_id = build_group(app, members)
        clients = [connect(app, name) for _, name in users]
        for client in clients:
            client.get_received()
        sender = clients[0]
        with app.app_context():
            counter = StatementCounter(db.engine)

        def send(n):
            ack = sender.emit("send_message", {"chat_id": chat_id, "text": f"message {n}",
                                               "client_msg_id": f"bench-{n}"}, callback=True)
            assert ack["ok"], ack

        for n in range(20):  # warm-up
            send(-n - 1)
        for client in clients:
            client.get_received()
        profiler = cProfile.Profile() if profile else None
        counter.counting = True
        started = time.process_time()
        if profiler:
            profiler.enable()
        events = set()
        for n in range(messages):
            counter.last = []
            send(n)
            if n % 50 == 49:
                events.update(packet["name"] for packet in clients[1].get_received())
                for client in clients:
                    client.get_received()
        if profiler:
            profiler.disable()
        cpu = time.process_time() - started
        counter.counting = False
        for client in clients:
            client.disconnect()
        with app.app_context():
            db.engine.dispose()
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return {"statements_per_send": counter.statements / messages,
                "commits_per_send": counter.commits / messages,
                "cpu_ms_per_send": round(cpu * 1000 / messages, 3),
                "statements_of_one_send": counter.last,
                "events_a_member_receives": sorted(events)}


def raw_broadcasts(members: int, messages: int) -> dict:
    """A raw Flask-SocketIO app: join a room, broadcast a ~400-byte payload, ack."""
    raw = Flask("raw")
    raw.config["SECRET_KEY"] = "raw"
    server = SocketIO(raw, async_mode="threading")
    payload = {"message": {"msg_id": 1, "chat_id": 1, "seq": 1, "msg_type": "text",
                           "sender": {"user_id": 1, "user_name": "bench000",
                                      "avatar_url": "/users/1/avatar?v=0"},
                           "msg_text": "message 1", "create_time": 1.0, "update_time": 1.0,
                           "client_msg_id": "bench-1", "recalled": False,
                           "recalled_at": None}}

    @server.on("join")
    def on_join(room):
        join_room(room)

    @server.on("send")
    def on_send(data):
        server.emit("message_created", {**payload, "client_msg_id": data}, to="room")
        return {"ok": True, **payload}

    clients = [server.test_client(raw) for _ in range(members)]
    for client in clients:
        client.emit("join", "room")
        client.get_received()
    started = time.process_time()
    for n in range(messages):
        clients[0].emit("send", f"bench-{n}", callback=True)
        if n % 50 == 49:
            for client in clients:
                client.get_received()
    cpu = time.process_time() - started
    return {"cpu_ms_per_send": round(cpu * 1000 / messages, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        url = (stack.enter_context(postgres_database("chatapp_send_path"))
               if args.engine == "postgresql" else "")
        result = chatapp_sends(url, args.members, args.messages, args.profile)
    result["raw_flask_socketio_cpu_ms_per_send"] = raw_broadcasts(args.members,
                                                                  args.messages)["cpu_ms_per_send"]
    result["cpu_ratio_to_raw"] = round(result["cpu_ms_per_send"]
                                       / result["raw_flask_socketio_cpu_ms_per_send"], 2)
    result.update(engine=args.engine, members=args.members, messages=args.messages)
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"send_path-{args.engine}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
