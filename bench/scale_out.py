"""Scale-out benchmark: stored messages per second and delivery latency with 1, 2 and 3
processes on PostgreSQL + Redis, beside 1 process on SQLite, with the same load, in one run.

    make bench-scale-out          (or: .venv/bin/python bench/scale_out.py [--quick])

Each setup gets the same load: CHATS group chats of MEMBERS members; every member has one
Socket.IO client (websocket), the clients spread round-robin over the processes. In each chat
one member sends messages one after another (send, wait for the ack, send the next) for
DURATION seconds, all chats at once. Figures:

- throughput: messages acknowledged (stored) per second over the run;
- delivery latency: from the send to each other member's receipt, split into receivers on the
  sender's own process ("same") and on another process ("cross").

Client and servers share the machine's cores (2 on the development machine), so more
processes compete with each other and with the load generator for the same CPU. Figures go to
bench/out/scale_out.json.
"""

import argparse
import json
import secrets
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import socketio  # noqa: E402

from bench.messaging import PASSWORD, summary  # noqa: E402
from tests.live_server import HttpApi, LiveServer, postgres_database  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/0"
SETUPS = {"sqlite-1": ("sqlite", 1), "postgresql-1": ("postgresql", 1),
          "postgresql-2": ("postgresql", 2), "postgresql-3": ("postgresql", 3)}


def start_servers(stack: ExitStack, tmp: Path, database: str, count: int) -> list[LiveServer]:
    env = {"CHATAPP_SECRET_KEY": secrets.token_hex(32),
           "CHATAPP_UPLOAD_FOLDER": str(tmp / "uploads")}
    if database == "postgresql":
        env["CHATAPP_DATABASE_URL"] = stack.enter_context(postgres_database("chatapp_bench"))
        env["CHATAPP_SOCKETIO_MESSAGE_QUEUE"] = REDIS_URL
        env["CHATAPP_SOCKETIO_CHANNEL"] = f"bench-{uuid.uuid4().hex}"
    servers = []
    for n in range(count):
        server = LiveServer(tmp / f"p{n}" / "instance" if database == "postgresql"
                            else tmp / "instance", log_path=tmp / f"p{n}.log", env=env)
        servers.append(stack.enter_context(server))
    return servers


def build_chats(url: str, chats: int, members: int):
    """Users and group chats through the API; returns [(chat_id, [HttpApi of each member])]."""
    result = []
    for c in range(chats):
        apis = []
        for m in range(members):
            api = HttpApi(url)
            api.register(f"b{c:02d}m{m:02d}", PASSWORD)
            apis.append(api)
        owner = apis[0]
        ids = [api.get("/api/me").json()["user"]["user_id"] for api in apis]
        for api, user_id in zip(apis[1:], ids[1:], strict=True):
            sent = owner.post("/api/friend-requests", json={"user_id": user_id}).json()
            api.post(f"/api/friend-requests/{sent['request']['request_id']}/accept")
        chat_id = owner.post("/api/chats", json={"chat_name": f"bench {c}",
                                                 "member_ids": ids[1:]}).json()["chat"]["chat_id"]
        result.append((chat_id, apis))
    return result


def run_load(servers, chats, duration: float) -> dict:
    sent_at: dict[str, tuple[float, int]] = {}
    latencies = {"same": [], "cross": []}
    lock = threading.Lock()
    clients = []
    n = 0
    senders = []
    for chat_id, apis in chats:
        for m, api in enumerate(apis):
            process = n % len(servers)
            n += 1
            client = socketio.Client(reconnection=False)

            def on_message(payload, _process=process):
                key = payload["message"].get("client_msg_id")
                stamp = time.perf_counter()
                with lock:
                    if key in sent_at:
                        started, origin = sent_at[key]
                        kind = "same" if origin == _process else "cross"
                        latencies[kind].append((stamp - started) * 1000)

            client.on("message_created", on_message)
            client.connect(servers[process].url, headers={"Cookie": api.cookie_header()},
                           transports=["websocket"], wait_timeout=10)
            clients.append(client)
            if m == 0:
                senders.append((client, chat_id, process))
    done = threading.Event()
    counts = []

    def send_loop(client, chat_id, process, lane):
        count = 0
        while not done.is_set():
            key = f"l{lane}-{count}"
            with lock:
                sent_at[key] = (time.perf_counter(), process)
            ack = client.call("send_message", {"chat_id": chat_id, "text": "load",
                                               "client_msg_id": key}, timeout=30)
            if ack.get("ok"):
                count += 1
        counts.append(count)

    threads = [threading.Thread(target=send_loop, args=(*s, lane))
               for lane, s in enumerate(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(duration)
    done.set()
    for thread in threads:
        thread.join(60)
    elapsed = time.perf_counter() - started
    time.sleep(0.5)  # the last deliveries
    for client in clients:
        client.disconnect()
    result = {"stored_per_s": round(sum(counts) / elapsed, 1), "stored": sum(counts)}
    for kind, values in latencies.items():
        if values:
            result[f"delivery_{kind}"] = summary(values)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller and shorter")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    chats, members, duration = (4, 3, 5.0) if args.quick else (10, 5, 20.0)
    results: dict[str, list[dict]] = {name: [] for name in SETUPS}
    for round_no in range(args.rounds):
        for name, (database, count) in SETUPS.items():
            with tempfile.TemporaryDirectory(prefix="chatapp-scale-") as tmp, ExitStack() as stack:
                servers = start_servers(stack, Path(tmp), database, count)
                layout = build_chats(servers[0].url, chats, members)
                figures = run_load(servers, layout, duration)
            results[name].append(figures)
            print(f"round {round_no + 1} {name}: {json.dumps(figures)}", flush=True)
    base = results["postgresql-1"][0]["stored_per_s"]
    for name, runs in results.items():
        print(f"{name}: {runs[-1]['stored_per_s']} msg/s "
              f"(x{runs[-1]['stored_per_s'] / base:.2f} of postgresql-1)")
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "scale_out.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
