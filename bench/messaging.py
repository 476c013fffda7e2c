"""Messaging benchmark: delivery latency in a 50-member chat, history paging at depth.

    make bench-messaging          (or: .venv/bin/python bench/messaging.py [--quick])
    .venv/bin/python bench/messaging.py --runtimes [--rounds 3] [--quick]

1. Delivery: a real server process (``python wsgi.py``: gevent, SQLite in WAL) and 50 real
   Socket.IO clients (websocket transport), one per member of one group. One member sends
   messages one after another; for each, the time from ``emit`` to the moment the last of the 50
   sockets (the sender's own included) received ``message_created``.
2. History: a SQLite database of 1,000,000 messages (one chat of 200,000, the rest spread over
   199 chats); the time of ``GET /api/chats/<id>/messages?before=<seq>&limit=50`` at a depth of
   100,000 messages, beside the newest page and the oldest page, through the Flask app.

``--runtimes`` measures only the delivery, on each serving runtime in the same run, in
interleaved rounds: gevent on SQLite (the default), eventlet on SQLite (the opt-in), and gevent
on PostgreSQL (a fresh database on the local server, ``CHATAPP_TEST_POSTGRES``); the figures of
each are the medians over the rounds, and ratios to gevent on SQLite.

Figures are printed and written to bench/out/messaging.json. Client and server share the
machine's cores, so the delivery figures include the clients' own work.
"""

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import socketio  # noqa: E402

from tests.live_server import HttpApi, LiveServer, postgres_database  # noqa: E402

PASSWORD = "bench password 1"


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values_ms):
    return {
        "count": len(values_ms),
        "p50_ms": round(percentile(values_ms, 50), 2),
        "p99_ms": round(percentile(values_ms, 99), 2),
        "max_ms": round(max(values_ms), 2),
        "mean_ms": round(statistics.fmean(values_ms), 2),
    }


# --- 1. delivery latency -------------------------------------------------------------------


RUNTIMES = {  # name: (CHATAPP_ASYNC_MODE, database)
    "gevent-sqlite": ("gevent", "sqlite"),
    "eventlet-sqlite": ("eventlet", "sqlite"),
    "gevent-postgresql": ("gevent", "postgresql"),
}


def delivery(members: int, messages: int, mode: str = "gevent", database: str = "sqlite") -> dict:
    with tempfile.TemporaryDirectory(prefix="chatapp-bench-") as tmp, ExitStack() as stack:
        env = {"CHATAPP_ASYNC_MODE": mode}
        if database == "postgresql":
            env["CHATAPP_DATABASE_URL"] = stack.enter_context(postgres_database("chatapp_bench"))
        server = LiveServer(Path(tmp) / "instance", log_path=Path(tmp) / "server.log", env=env)
        with server:
            return _delivery_on(server.url, members, messages)


def runtimes(members: int, messages: int, rounds: int) -> dict:
    """Delivery on each runtime, interleaved over ``rounds``; medians and ratios."""
    runs: dict[str, list[dict]] = {name: [] for name in RUNTIMES}
    for n in range(rounds):
        for name, (mode, database) in RUNTIMES.items():
            runs[name].append(delivery(members, messages, mode, database))
            print(f"round {n + 1} {name}: {json.dumps(runs[name][-1])}", flush=True)
    medians = {name: {key: statistics.median(r[key] for r in rs)
                      for key in ("p50_ms", "p99_ms", "mean_ms")}
               for name, rs in runs.items()}
    base = medians["gevent-sqlite"]
    for figures in medians.values():
        figures["p50_ratio"] = round(figures["p50_ms"] / base["p50_ms"], 2)
        figures["p99_ratio"] = round(figures["p99_ms"] / base["p99_ms"], 2)
    return {"members": members, "messages": messages, "rounds": rounds, "medians": medians,
            "runs": runs}


def _delivery_on(url: str, members: int, messages: int) -> dict:
    apis = []
    for i in range(members):
        api = HttpApi(url)
        api.register(f"bench{i:03d}", PASSWORD)
        apis.append(api)
    owner = apis[0]
    ids = [api.get("/api/me").json()["user"]["user_id"] for api in apis]
    for api, user_id in zip(apis[1:], ids[1:], strict=True):
        sent = owner.post("/api/friend-requests", json={"user_id": user_id}).json()
        api.post(f"/api/friend-requests/{sent['request']['request_id']}/accept")
    chat_id = owner.post("/api/chats", json={"chat_name": "Bench",
                                             "member_ids": ids[1:]}).json()["chat"]["chat_id"]

    arrivals: dict[str, list[float]] = {}
    lock = threading.Lock()
    all_arrived = threading.Condition(lock)
    clients = []
    for api in apis:
        client = socketio.Client(reconnection=False)

        @client.on("message_created")
        def on_message(payload, _client=client):
            key = payload["message"].get("client_msg_id")
            if key is None:
                return
            stamp = time.perf_counter()
            with all_arrived:
                arrivals.setdefault(key, []).append(stamp)
                if len(arrivals[key]) == members:
                    all_arrived.notify_all()

        client.connect(url, headers={"Cookie": api.cookie_header()}, transports=["websocket"],
                       wait_timeout=10)
        clients.append(client)

    sender = clients[0]
    latencies = []
    warmup = 20
    try:
        for n in range(warmup + messages):
            key = f"bench-{n}"
            started = time.perf_counter()
            sender.emit("send_message", {"chat_id": chat_id, "text": f"message {n}",
                                         "client_msg_id": key})
            with all_arrived:
                done = all_arrived.wait_for(lambda k=key: len(arrivals.get(k, ())) == members,
                                            timeout=10)
            if not done:
                raise RuntimeError(f"message {n} reached {len(arrivals.get(key, ()))} sockets")
            if n >= warmup:
                latencies.append((max(arrivals[key]) - started) * 1000)
    finally:
        for client in clients:
            client.disconnect()
    return {"members": members, "sockets": len(clients), **summary(latencies)}


# --- 2. history at depth -------------------------------------------------------------------


def build_history_db(path: Path, total: int, big_chat: int, chats: int, users: int) -> int:
    """Migrate an empty database and bulk-load messages; returns the big chat's id."""
    from chatapp import create_app
    from chatapp.database import upgrade_database

    app = create_app({"INSTANCE_PATH": str(path.parent / "instance"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    upgrade_database(app)
    with app.app_context():
        from chatapp.extensions import db
        db.engine.dispose()

    rng = random.Random(7)
    words = ("deploy", "review", "lunch", "明天", "上海", "会议", "build", "release", "测试",
             "bug", "fix", "ship", "周末", "咖啡", "design", "ok")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    now = time.time()
    con.executemany(
        "INSERT INTO users (user_id, user_name, user_name_key, password, register_time) "
        "VALUES (?, ?, ?, 'x', ?)",
        [(u, f"user{u}", f"user{u}", now) for u in range(1, users + 1)])
    con.executemany(
        "INSERT INTO chats (chat_id, chat_name, create_time, is_private, last_seq, last_activity)"
        " VALUES (?, ?, ?, 0, 0, ?)",
        [(c, f"chat {c}", now, now) for c in range(1, chats + 1)])
    con.executemany(
        "INSERT INTO memberships (user_id, chat_id, privilege, update_time) VALUES (?, ?, ?, ?)",
        [(u, c, "owner" if u == 1 else "member", now)
         for c in range(1, chats + 1) for u in range(1, users + 1)])
    seqs = dict.fromkeys(range(1, chats + 1), 0)

    def rows():
        for n in range(total):
            chat = 1 if n < big_chat else rng.randint(2, chats)
            seqs[chat] += 1
            text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
            yield (rng.randint(1, users), chat, seqs[chat], text, now - total + n, now - total + n)

    con.executemany(
        "INSERT INTO messages (sender_id, chat_id, seq, msg_text, msg_type, create_time, "
        "update_time) VALUES (?, ?, ?, ?, 'text', ?, ?)", rows())
    con.executemany("UPDATE chats SET last_seq = ? WHERE chat_id = ?",
                    [(seq, chat) for chat, seq in seqs.items()])
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return 1


def history(total: int, big_chat: int, depth: int, requests: int) -> dict:
    from chatapp import create_app

    with tempfile.TemporaryDirectory(prefix="chatapp-bench-") as tmp:
        path = Path(tmp) / "history.db"
        started = time.perf_counter()
        chat_id = build_history_db(path, total, big_chat, chats=200, users=50)
        build_seconds = time.perf_counter() - started

        app = create_app({"INSTANCE_PATH": str(Path(tmp) / "instance"),
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                          "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
        client = app.test_client()
        with client.session_transaction() as session:
            # Log in as user 1 (session_version 1) without a password round trip.
            session["_user_id"] = "1:1"
            session["_fresh"] = True

        def timed(query):
            times = []
            for _ in range(requests):
                q = query()
                t0 = time.perf_counter()
                response = client.get(f"/api/chats/{chat_id}/messages?{q}")
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.get_data(as_text=True)
                assert len(response.get_json()["messages"]) == 50
            return summary(times)

        rng = random.Random(3)
        last = big_chat
        results = {
            "messages_total": total,
            "chat_messages": big_chat,
            "build_seconds": round(build_seconds, 1),
            "db_megabytes": round(os.path.getsize(path) / 1e6, 1),
            "newest_page": timed(lambda: "limit=50"),
            f"page_at_depth_{depth}": timed(
                lambda: f"before={last - depth + rng.randint(-500, 500)}&limit=50"),
            "oldest_page": timed(lambda: "before=51&limit=50"),
            f"catch_up_after_depth_{depth}": timed(
                lambda: f"after={last - depth + rng.randint(-500, 500)}&limit=50"),
        }
        with app.app_context():
            from chatapp.extensions import db
            db.engine.dispose()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a small run (10 members, 100k messages) to check the script")
    parser.add_argument("--runtimes", action="store_true",
                        help="only delivery, on gevent and eventlet, SQLite and PostgreSQL")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --runtimes")
    args = parser.parse_args()
    if args.quick:
        plan = {"members": 10, "messages": 50, "total": 100_000, "big": 30_000, "depth": 10_000}
    else:
        plan = {"members": 50, "messages": 300, "total": 1_000_000, "big": 200_000,
                "depth": 100_000}

    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    if args.runtimes:
        results = runtimes(plan["members"], plan["messages"], args.rounds)
        print("medians:", json.dumps(results["medians"], indent=2))
        name = "runtimes-quick.json" if args.quick else "runtimes.json"
        (out / name).write_text(json.dumps(results, indent=2) + "\n")
        print(f"written to {out / name}")
        return

    results = {"delivery": delivery(plan["members"], plan["messages"])}
    print("delivery:", json.dumps(results["delivery"]), flush=True)
    results["history"] = history(plan["total"], plan["big"], plan["depth"], requests=300)
    print("history:", json.dumps(results["history"], indent=2), flush=True)

    name = "messaging-quick.json" if args.quick else "messaging.json"
    (out / name).write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out / name}")


if __name__ == "__main__":
    main()
