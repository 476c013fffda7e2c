"""Flood benchmark: how much one user's flood of sends slows another user's chat.

    make bench-flood          (or: .venv/bin/python bench/flood.py [--quick])

A real server (``python wsgi.py``, SQLite in WAL). Alice sends a message every 0.4 s (a busy
person, within the default limit) over her socket and times each acknowledgement. Three
phases, in the same run:

1. quiet: nobody else is sending (the baseline);
2. flood, limits on: mallory sends as fast as three sockets let her, with the default
   ``SEND_RATE_LIMIT`` (after her first messages every one is refused);
3. flood, limits off: the same flood on a server with ``RATELIMIT_ENABLED=0`` (every spam
   message is stored and fanned out), to show what the limit saves.

Alice's latencies under flood are reported as ratios to the quiet baseline of the same server,
because the machine is shared and noisy. Figures go to bench/out/flood.json.
"""

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import socketio  # noqa: E402

from bench.messaging import PASSWORD, summary  # noqa: E402
from tests.live_server import HttpApi, LiveServer  # noqa: E402

FLOOD_SOCKETS = 3
ALICE_INTERVAL = 0.4  # 25 per 10 s, under the default SEND_RATE_LIMIT of 30 per 10 s


def connect(api: HttpApi) -> socketio.Client:
    sock = socketio.Client(reconnection=False)
    sock.connect(api.base_url, headers={"Cookie": api.cookie_header()},
                 transports=["websocket"], wait_timeout=10)
    return sock


def own_group(api: HttpApi, name: str) -> int:
    return api.post("/api/chats", json={"chat_name": name}).json()["chat"]["chat_id"]


def alice_sends(sock, chat_id: int, count: int, tag: str) -> list[float]:
    """Alice's send→ack times, paced at ALICE_INTERVAL as a busy person (within her limit)."""
    times = []
    for n in range(count):
        time.sleep(ALICE_INTERVAL)
        started = time.perf_counter()
        ack = sock.call("send_message", {"chat_id": chat_id, "text": f"{tag} {n}",
                                         "client_msg_id": f"{tag}-{n}"}, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        assert ack["ok"], ack
    return times


def phases(limits_on: bool, count: int) -> dict:
    env = {"CHATAPP_RATELIMIT_ENABLED": "1" if limits_on else "0",
           "CHATAPP_LOGIN_RATE_LIMIT": "1000 per minute",
           "CHATAPP_REGISTER_RATE_LIMIT": "1000 per minute"}
    with tempfile.TemporaryDirectory(prefix="chatapp-flood-") as tmp:
        server = LiveServer(Path(tmp) / "instance", log_path=Path(tmp) / "server.log", env=env)
        with server:
            alice, mallory = HttpApi(server.url), HttpApi(server.url)
            alice.register("alice", PASSWORD)
            mallory.register("mallory", PASSWORD)
            talk, spam = own_group(alice, "talk"), own_group(mallory, "spam")
            alice_sock = connect(alice)
            flooders = [connect(mallory) for _ in range(FLOOD_SOCKETS)]
            alice_sends(alice_sock, talk, 5, "warm")
            quiet = alice_sends(alice_sock, talk, count, "quiet")

            outcomes: list[str] = []
            stop = threading.Event()

            def flood(sock, lane):
                n = 0
                while not stop.is_set():
                    ack = sock.call("send_message", {"chat_id": spam, "text": "spam",
                                                     "client_msg_id": f"{lane}-{n}"}, timeout=30)
                    outcomes.append("ok" if ack["ok"] else ack["error"]["code"])
                    n += 1

            threads = [threading.Thread(target=flood, args=(s, i)) for i, s in enumerate(flooders)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            time.sleep(0.5)
            flooded = alice_sends(alice_sock, talk, count, "flooded")
            stop.set()
            for thread in threads:
                thread.join(30)
            elapsed = time.perf_counter() - started
            for sock in (alice_sock, *flooders):
                sock.disconnect()
    q, f = summary(quiet), summary(flooded)
    return {
        "alice_quiet": q,
        "alice_flooded": f,
        "p50_ratio": round(f["p50_ms"] / q["p50_ms"], 2),
        "p99_ratio": round(f["p99_ms"] / q["p99_ms"], 2),
        "flood_sends_per_s": round(len(outcomes) / elapsed, 1),
        "flood_stored": outcomes.count("ok"),
        "flood_refused": outcomes.count("rate_limited"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages")
    args = parser.parse_args()
    count = 30 if args.quick else 100
    results = {"limits_on": phases(True, count), "limits_off": phases(False, count)}
    for name, r in results.items():
        print(f"{name}: alice quiet p50 {r['alice_quiet']['p50_ms']} ms / p99 "
              f"{r['alice_quiet']['p99_ms']} ms; flooded p50 {r['alice_flooded']['p50_ms']} ms / "
              f"p99 {r['alice_flooded']['p99_ms']} ms (x{r['p50_ratio']} / x{r['p99_ratio']}); "
              f"flood {r['flood_sends_per_s']}/s, stored {r['flood_stored']}, "
              f"refused {r['flood_refused']}")
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "flood.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
