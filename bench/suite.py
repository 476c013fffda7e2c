"""Benchmark suite: chatapp on SQLite and PostgreSQL beside a raw Flask-SocketIO server and a raw
Node socket.io server, measured in the same run, with ratios.

    make bench                    (or: .venv/bin/python bench/suite.py [options])
    .venv/bin/python bench/suite.py --quick                  (about 3 minutes)
    .venv/bin/python bench/suite.py --only fanout,idle --engine sqlite --sockets 10000

The machine is shared and noisy (2 cores on the development machine, shared by the servers,
PostgreSQL and the load clients), so the ratios to the raw servers of the same run matter more
than the absolute figures. Every server is a real process started by tests/live_server.py's
``LiveServer``: chatapp is ``python wsgi.py`` (gevent) on a fresh SQLite file or a fresh
PostgreSQL database, one new server per part; the baselines are bench/raw_flask_socketio.py
(Flask-SocketIO served as wsgi.py serves chatapp) and bench/node/raw_server.js (socket.io on
Node), which broadcast a payload of the size of chatapp's ``message_created`` to a room and
acknowledge the sender, with no database and no checks. The clients are the official Node
``socket.io-client`` (websocket transport, session cookie as an extraHeaders Cookie, as a browser
would connect), driven by bench/node/load.js, one Node process per measurement: every latency
is taken on that process's clock. They offer permessage-deflate as socket.io-client does by
default; ``--no-deflate`` turns the offer off. Server CPU time is the server process's
utime + stime from /proc/<pid>/stat (PostgreSQL's work is not in it: fanout reports the CPU of
the database's backends apart); memory is its VmRSS from /proc/<pid>/status.

Parts (``--only`` takes a comma-separated list of their names):

1. fanout: one group of 50 members, one socket per member; one member sends messages one after
   another (300 after 20 warm-up), each when the previous one reached all 50 sockets. Delivery
   time from emit to the last of the 50 receipts (p50, p99), and the server's CPU time per
   message. Run with the receivers offering permessage-deflate and again without (only the
   latter with ``--no-deflate``); the table shows how many sockets did negotiate it.
2. sustained: 10 groups of 10 members on one server; one sender per group, open loop, together
   at a fixed aggregate rate (50, 100, 200, 400, 600, 800, 1000 msg/s, 8 s each, after a
   warm-up at 50).
   Per step: delivery time from emit to the last of the 10 members (p50, p99), deliveries still
   missing 5 s after the step (lost), refused sends, and the server's CPU %. Stepping stops after
   the first step with p99 over 100 ms or any loss (it is still recorded); the figure is the
   highest rate with p99 under 100 ms and nothing lost.
3. idle: ``--sockets`` (3000) authenticated sockets opened to one server (100 users in 10
   groups, so 30 tabs per user) and held: how many were accepted (connected within 30 s), and
   RSS per socket, (RSS after opening - RSS before) / accepted, once the server is quiet. Then
   they are closed, and opened and closed again, 4 cycles in all: the RSS series shows what
   comes back after closing.
4. contention: 50 writers into one chat at once, 25 over ``POST /api/chats/<id>/messages`` and
   25 over ``send_message``, each sending 40 messages, the next when the previous was
   answered: stored messages per second, send-to-answer time (p50, p95, p99, max), refused or
   failed sends, and the lines of the server log that say "database is locked".
5. history: bench/messaging.py's history measure (a history page at depth in a 1,000,000-message
   database, beside the newest and the oldest page), on SQLite only: loading a PostgreSQL
   database of that size would take longer than the whole suite may.
6. search: bench/search.py in a subprocess, with ``--quick`` (100,000 messages), with
   ``--engine both`` in the full suite (SQLite only with ``--quick``); its table is printed as
   it runs and its figures are taken into ours.
7. http: 20 concurrent keep-alive HTTP clients for 10 s per endpoint: ``GET /healthz``,
   ``GET /api/chats`` for a user in 21 chats, and the newest history page of a chat of 1,000
   messages; requests per second and p50/p99.

Parts 1-4 and 7 run on chatapp with each engine of ``--engine`` (both by default); parts 1-3 also
on the two raw servers. A part that fails (a server error, a timeout) is retried once on a fresh
server; the failure is reported and the suite goes on. Every figure is written to
bench/out/suite.json as the run goes, and the final Markdown table to bench/out/suite.md.
"""

import argparse
import json
import os
import platform
import queue
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.messaging import PASSWORD, history, percentile, summary  # noqa: E402
from bench.scale_out import build_chats  # noqa: E402
from tests.live_server import (  # noqa: E402
    PG_ADMIN_URL,
    HttpApi,
    LiveServer,
    postgres_database,
)

OUT = REPO / "bench" / "out"
LOAD_JS = REPO / "bench" / "node" / "load.js"
RAW_NODE_JS = REPO / "bench" / "node" / "raw_server.js"
RAW_FLASK = REPO / "bench" / "raw_flask_socketio.py"

PARTS = ("fanout", "sustained", "idle", "contention", "history", "search", "http")
RAW_FSIO, RAW_NODE = "raw-flask-socketio", "raw-node"
RAW_TARGETS = (RAW_FSIO, RAW_NODE)
RAW_PARTS = ("fanout", "sustained", "idle")  # the parts the raw servers can take
# The raw servers' message: shaped like chatapp's message_created payload and padded to about
# its size (the table shows the bytes each server's receivers got).
RAW_PAYLOAD_BYTES = 300
P99_LIMIT_MS = 100.0  # sustained: a step passes with p99 under this and nothing lost
GRACE_SECONDS = 5.0  # sustained: a delivery not received this long after the step is lost
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Plan:
    """The sizes of each part (the full suite; ``QUICK`` is the --quick one)."""

    fanout_members: int = 50
    fanout_messages: int = 300
    fanout_warmup: int = 20
    sustained_groups: int = 10
    sustained_members: int = 10
    sustained_rates: tuple[int, ...] = (50, 100, 200, 400, 600, 800, 1000)
    sustained_seconds: float = 8.0
    sustained_warmup_seconds: float = 2.0
    idle_sockets: int = 3000
    idle_cycles: int = 4
    idle_groups: int = 10  # of 10 users each: the users the idle sockets log in as
    contention_writers: int = 50
    contention_per_writer: int = 40
    http_clients: int = 20
    http_seconds: float = 10.0
    http_history_messages: int = 1000
    history_total: int = 1_000_000
    history_big_chat: int = 200_000
    history_depth: int = 100_000
    history_requests: int = 200


QUICK = Plan(fanout_messages=60, fanout_warmup=5, sustained_rates=(50, 150, 400),
             sustained_seconds=2.0, sustained_warmup_seconds=1.0, idle_sockets=300,
             idle_cycles=2, idle_groups=2, contention_per_writer=6,
             http_seconds=2.0, http_history_messages=200, history_total=100_000,
             history_big_chat=30_000, history_depth=10_000, history_requests=100)


# --- the server process: CPU time and memory from /proc ---------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process so far, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_kb(pid: int) -> int:
    """The process's resident set size (VmRSS), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def wait_quiet(pid: int, limit: float = 20.0, busy: float = 0.10, window: float = 0.5) -> None:
    """Wait (at most ``limit`` seconds) until the process uses less than ``busy`` of a core
    over ``window`` seconds: what it was doing for the previous step is done."""
    deadline = time.monotonic() + limit
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(window)
        now = cpu_seconds(pid)
        if now - last < busy * window:
            return
        last = now


def postgres_cpu(database_url: str | None) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the server's database (the
    PostgreSQL server is local); empty for SQLite. Shared processes (WAL writer, checkpointer)
    are not counted."""
    if not database_url:
        return {}
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                                {"name": make_url(database_url).database}).scalars().all()
    finally:
        engine.dispose()
    seconds = {}
    for pid in pids:
        with suppress(OSError):  # gone meanwhile, or not on this machine
            seconds[pid] = cpu_seconds(pid)
    return seconds


def postgres_cpu_since(before: dict[int, float], database_url: str | None) -> float | None:
    """CPU seconds the database's backends used since ``before`` (backends that connected
    meanwhile count whole)."""
    if not database_url:
        return None
    after = postgres_cpu(database_url)
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def scan_log(path: Path) -> dict:
    """Counts of the server log lines that matter here, and the first tracebacks (the log goes
    with the temporary folder)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    marker = "Traceback (most recent call last)"
    tracebacks = []
    for match in re.finditer(re.escape(marker), text):
        if len(tracebacks) == 2:
            break
        start = text.rfind("\n", 0, match.start()) + 1  # the log line that announced it
        start = text.rfind("\n", 0, max(0, start - 1)) + 1
        tracebacks.append(text[start:match.start() + 4000])
    return {"tracebacks": text.count(marker),
            "database_is_locked": text.count("database is locked"),
            "errors": len(re.findall(r"^\S+ \S+ ERROR ", text, re.MULTILINE)),
            "first_tracebacks": tracebacks}


# --- servers and load clients -----------------------------------------------------------------


def node() -> str:
    found = shutil.which("node")
    if found is None:
        sys.exit("bench/suite.py needs Node (node on the PATH) and `npm ci` (make vendor).")
    return found


@contextmanager
def serving(target: str, tmp: Path):
    """A fresh server for ``target`` (chatapp on an engine, or a raw server) in ``tmp``;
    stopped, and its PostgreSQL database dropped, on the way out."""
    with ExitStack() as stack:
        env, command, database_url = {}, None, None
        if target == "postgresql":
            database_url = stack.enter_context(postgres_database("chatapp_suite"))
            env["CHATAPP_DATABASE_URL"] = database_url
        elif target == RAW_FSIO:
            command = [sys.executable, str(RAW_FLASK)]
        elif target == RAW_NODE:
            command = [node(), str(RAW_NODE_JS)]
        server = LiveServer(tmp / "instance", log_path=tmp / "server.log", env=env,
                            command=command)
        server.database_url = database_url  # for postgres_cpu()
        yield stack.enter_context(server)


class LoadClient:
    """One bench/node/load.js process: its configuration goes in as the first line of its
    stdin, commands as further lines; each JSON line it prints is one event. Killed on exit."""

    def __init__(self, config: dict, log_path: Path):
        self.config = config
        self.log_path = log_path
        self.events: queue.Queue = queue.Queue()
        self.process = None

    def __enter__(self) -> "LoadClient":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [node(), str(LOAD_JS)], cwd=REPO, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()
        self.send(self.config)
        return self

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.strip():
                self.events.put(json.loads(line))
        self.events.put(None)

    def send(self, payload: dict) -> None:
        self.process.stdin.write(json.dumps(payload) + "\n")
        self.process.stdin.flush()

    def expect(self, event: str, timeout: float) -> dict:
        """The next event, which must be ``event``; waits at most ``timeout`` seconds."""
        try:
            got = self.events.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"load client: no {event!r} within {timeout:.0f} s") from None
        if got is None:
            raise RuntimeError(f"load client exited while waiting for {event!r}: "
                               f"{self.log_path.read_text(errors='replace')[-2000:]}")
        if got.get("event") != event:
            raise RuntimeError(f"load client: expected {event!r}, got {json.dumps(got)[:2000]}")
        return got

    def __exit__(self, *exc_info) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()  # load.js exits when its stdin closes
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=5)


def cookies_of(apis: list[HttpApi]) -> list[str]:
    return [api.cookie_header() for api in apis]


def chatapp(target: str) -> bool:
    return target not in RAW_TARGETS


# --- 1. fanout --------------------------------------------------------------------------------


def fanout(server: LiveServer, target: str, tmp: Path, plan: Plan, variants) -> dict:
    """Delivery time to all 50 sockets of one group and server CPU per message, once per
    deflate variant (each in its own load client, on the same server)."""
    config = {"mode": "fanout", "url": server.url, "messages": plan.fanout_messages,
              "warmup": plan.fanout_warmup}
    if chatapp(target):
        chat_id, apis = build_chats(server.url, 1, plan.fanout_members)[0]
        config.update(kind="chatapp", chatId=chat_id, cookies=cookies_of(apis))
    else:
        config.update(kind="raw", room="fanout", receivers=plan.fanout_members,
                      payloadBytes=RAW_PAYLOAD_BYTES)
    pid = server.process.pid
    results = {}
    for deflate in variants:
        name = "deflate" if deflate else "no_deflate"
        with LoadClient({**config, "deflate": deflate}, tmp / f"load-{name}.log") as load:
            ready = load.expect("ready", timeout=180)
            wait_quiet(pid, limit=10)
            database = postgres_cpu(server.database_url)
            cpu = cpu_seconds(pid)
            load.send({"cmd": "go"})
            result = load.expect("result", timeout=plan.fanout_messages * 10 + 60)
            cpu = cpu_seconds(pid) - cpu
            database = postgres_cpu_since(database, server.database_url)
            load.expect("done", timeout=30)
        figures = {**summary(result["latencies"]),
                   "server_cpu_ms_per_message": round(cpu * 1000 / plan.fanout_messages, 3),
                   "postgres_cpu_ms_per_message": None if database is None else
                   round(database * 1000 / plan.fanout_messages, 3),
                   "sockets": ready["sockets"], "deflate_negotiated": ready["deflate"],
                   "payload_bytes": result["payload_bytes"]}
        results[name] = figures
        print(f"  [{target}] fanout {name}: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']}"
              f" ms, server CPU {figures['server_cpu_ms_per_message']} ms/message, deflate on "
              f"{ready['deflate']}/{ready['sockets']} sockets", flush=True)
    return results


# --- 2. sustained -----------------------------------------------------------------------------


def step_passes(step: dict) -> bool:
    return (step["p99_ms"] is not None and step["p99_ms"] < P99_LIMIT_MS
            and step["lost_deliveries"] == 0 and not step["ack_errors"]
            and step["client_kept_up"])


def sustained(server: LiveServer, target: str, tmp: Path, plan: Plan, deflate: bool) -> dict:
    """Open-loop sends at rising aggregate rates into 10 groups of 10; per step p50/p99 to
    the last member, deliveries lost, server CPU %; stops after the first failing step."""
    config = {"mode": "sustained", "url": server.url, "deflate": deflate}
    if chatapp(target):
        layout = build_chats(server.url, plan.sustained_groups, plan.sustained_members)
        config.update(kind="chatapp", groups=[{"chatId": chat_id, "cookies": cookies_of(apis)}
                                              for chat_id, apis in layout])
    else:
        config.update(kind="raw", payloadBytes=RAW_PAYLOAD_BYTES,
                      groups=[{"room": f"group-{g}", "members": plan.sustained_members}
                              for g in range(plan.sustained_groups)])
    pid = server.process.pid
    steps = []
    with LoadClient(config, tmp / "load-sustained.log") as load:
        load.expect("ready", timeout=180)
        load.send({"cmd": "step", "rate": 50, "seconds": plan.sustained_warmup_seconds,
                   "graceSeconds": GRACE_SECONDS, "label": "w"})
        load.expect("sent", timeout=60)
        load.expect("step", timeout=60)
        for rate in plan.sustained_rates:
            wait_quiet(pid, limit=10)
            cpu, started = cpu_seconds(pid), time.monotonic()
            load.send({"cmd": "step", "rate": rate, "seconds": plan.sustained_seconds,
                       "graceSeconds": GRACE_SECONDS, "label": str(rate)})
            load.expect("sent", timeout=plan.sustained_seconds * 5 + 30)
            cpu, wall = cpu_seconds(pid) - cpu, time.monotonic() - started
            step = load.expect("step", timeout=GRACE_SECONDS + 60)
            latencies = step.pop("latencies")
            delivered = summary(latencies) if latencies else {}
            figures = {
                "rate": rate, "sent": step["sent"],
                "achieved_rate": round(step["sent"] / step["send_seconds"], 1),
                "client_kept_up": step["send_seconds"] <= plan.sustained_seconds * 1.05,
                "p50_ms": delivered.get("p50_ms"), "p99_ms": delivered.get("p99_ms"),
                "max_ms": delivered.get("max_ms"),
                "lost_deliveries": step["lost_deliveries"],
                "incomplete_messages": step["incomplete_messages"],
                "ack_errors": step["ack_errors"],
                "server_cpu_percent": round(cpu / wall * 100, 1),
            }
            figures["passed"] = step_passes(figures)
            steps.append(figures)
            print(f"  [{target}] sustained {rate} msg/s: p50 {figures['p50_ms']} ms, p99 "
                  f"{figures['p99_ms']} ms, lost {figures['lost_deliveries']}, refused "
                  f"{sum(figures['ack_errors'].values())}, server CPU "
                  f"{figures['server_cpu_percent']}%", flush=True)
            if not figures["passed"]:
                break
        load.send({"cmd": "quit"})
        load.expect("done", timeout=30)
    passed = [s for s in steps if s["passed"]]
    best = passed[-1] if passed else None
    failed = next((s for s in steps if not s["passed"]), None)
    return {"steps": steps, "max_rate": best["rate"] if best else 0,
            "p99_at_max_ms": best["p99_ms"] if best else None,
            "cpu_percent_at_max": best["server_cpu_percent"] if best else None,
            "first_failed_step": failed, "all_steps_passed": failed is None}


# --- 3. idle sockets --------------------------------------------------------------------------


def idle(server: LiveServer, target: str, tmp: Path, plan: Plan, deflate: bool,
         sockets: int) -> dict:
    """Open, hold and close ``sockets`` authenticated sockets in cycles; accepted count, RSS
    per socket, and the RSS series (before, then after each open and each close)."""
    config = {"mode": "idle", "url": server.url, "deflate": deflate, "sockets": sockets,
              "concurrency": 100, "connectTimeoutMs": 30_000}
    if chatapp(target):
        layout = build_chats(server.url, plan.idle_groups, 10)
        config.update(kind="chatapp", cookies=[c for _, apis in layout for c in cookies_of(apis)])
    else:
        config.update(kind="raw")
    pid = server.process.pid
    wait_quiet(pid, limit=10)
    series = [rss_kb(pid)]
    cycles = []
    with LoadClient(config, tmp / "load-idle.log") as load:
        load.expect("ready", timeout=30)
        for cycle in range(plan.idle_cycles):
            load.send({"cmd": "open"})
            opened = load.expect("opened", timeout=sockets * 0.1 + 120)
            wait_quiet(pid)
            series.append(rss_kb(pid))
            load.send({"cmd": "close"})
            load.expect("closed", timeout=120)
            wait_quiet(pid)
            series.append(rss_kb(pid))
            cycles.append({"accepted": opened["accepted"], "refused": opened["refused"],
                           "errors": opened["errors"], "open_seconds": opened["seconds"],
                           "deflate_negotiated": opened["deflate"]})
            print(f"  [{target}] idle cycle {cycle + 1}: {opened['accepted']}/{sockets} accepted "
                  f"in {opened['seconds']} s, RSS {series[-3] / 1024:.0f} MB before, "
                  f"{series[-2] / 1024:.0f} MB open, {series[-1] / 1024:.0f} MB closed", flush=True)
        load.send({"cmd": "quit"})
        load.expect("done", timeout=30)
    accepted = cycles[0]["accepted"]
    return {"sockets": sockets, "accepted": accepted, "cycles": cycles,
            "rss_kb_series": series,
            "rss_kb_per_socket": round((series[1] - series[0]) / accepted, 1) if accepted else None}


# --- 4. contention ----------------------------------------------------------------------------


def contention(server: LiveServer, target: str, tmp: Path, plan: Plan, deflate: bool) -> dict:
    """Half the writers over HTTP, half over send_message, all into one chat at once."""
    chat_id, apis = build_chats(server.url, 1, plan.contention_writers)[0]
    half = plan.contention_writers // 2
    writers = []
    for api in apis[:half]:
        token = api.token()  # first: asking for the token may update the session cookie
        writers.append({"csrf": token, "cookie": api.cookie_header()})
    config = {"mode": "contention", "kind": "chatapp", "url": server.url, "deflate": deflate,
              "chatId": chat_id, "perWriter": plan.contention_per_writer,
              "httpWriters": writers, "socketCookies": cookies_of(apis[half:])}
    with LoadClient(config, tmp / "load-contention.log") as load:
        load.expect("ready", timeout=120)
        load.send({"cmd": "go"})
        result = load.expect("result", timeout=600)
        load.expect("done", timeout=30)
    latencies = result["latencies"]
    log = scan_log(server.log_path)
    figures = {"writers": plan.contention_writers, "per_writer": plan.contention_per_writer,
               "stored": result["stored"],
               "msg_per_s": round(result["stored"] / result["seconds"], 1),
               **summary(latencies), "p95_ms": round(percentile(latencies, 95), 2),
               "errors": sum(result["errors"].values()), "error_kinds": result["errors"],
               "database_is_locked_in_log": log.get("database_is_locked", 0)}
    print(f"  [{target}] contention: {figures['msg_per_s']} msg/s, p50 {figures['p50_ms']} "
          f"p95 {figures['p95_ms']} p99 {figures['p99_ms']} max {figures['max_ms']} ms, "
          f"errors {figures['errors']}, 'database is locked' in log "
          f"{figures['database_is_locked_in_log']}", flush=True)
    return figures


# --- 7. http ----------------------------------------------------------------------------------


def fill_chat(url: str, person, chat_id: int, count: int, threads: int = 8) -> None:
    """``count`` messages into the chat through the API, from ``threads`` sessions at once."""

    def post_share(lane: int) -> None:
        api = HttpApi(url).login(person)
        for n in range(lane, count, threads):
            response = api.post(f"/api/chats/{chat_id}/messages",
                                json={"text": f"history {n}", "client_msg_id": f"fill-{n}"})
            assert response.status_code == 201, response.text

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(post_share, range(threads)))


def http(server: LiveServer, target: str, tmp: Path, plan: Plan) -> dict:
    """Requests per second and p50/p99 with 20 concurrent clients, per endpoint."""
    api = HttpApi(server.url)
    person = api.register("httpbench", PASSWORD)
    chat_ids = [api.post("/api/chats", json={"chat_name": f"http {n}"}).json()["chat"]["chat_id"]
                for n in range(21)]
    fill_chat(server.url, person, chat_ids[0], plan.http_history_messages)
    assert len(api.get("/api/chats").json()["chats"]) == 21
    cookie = api.cookie_header()
    endpoints = [
        {"name": "healthz", "path": "/healthz"},
        {"name": "chats", "path": "/api/chats", "cookie": cookie},
        {"name": "history", "path": f"/api/chats/{chat_ids[0]}/messages", "cookie": cookie},
    ]
    config = {"mode": "http", "url": server.url, "clients": plan.http_clients,
              "seconds": plan.http_seconds, "endpoints": endpoints}
    results = {}
    with LoadClient(config, tmp / "load-http.log") as load:
        load.expect("ready", timeout=30)
        for endpoint in endpoints:
            result = load.expect("http", timeout=plan.http_seconds + 120)
            latencies = result["latencies"]
            figures = {"requests_per_s": round(len(latencies) / result["seconds"], 1),
                       **(summary(latencies) if latencies else {}),
                       "errors": sum(result["errors"].values()), "error_kinds": result["errors"]}
            results[endpoint["name"]] = figures
            print(f"  [{target}] http {endpoint['name']}: {figures['requests_per_s']} req/s, p50 "
                  f"{figures.get('p50_ms')} ms, p99 {figures.get('p99_ms')} ms, errors "
                  f"{figures['errors']}", flush=True)
        load.expect("done", timeout=30)
    return results


# --- 5. history and 6. search: the existing benchmarks ----------------------------------------


def history_part(plan: Plan) -> dict:
    """bench/messaging.py's history measure, on SQLite."""
    figures = history(plan.history_total, plan.history_big_chat, plan.history_depth,
                      requests=plan.history_requests)
    print("  [sqlite] history:", json.dumps(figures), flush=True)
    return figures


def search_part(engine: str) -> dict:
    """bench/search.py --quick as a subprocess (its output printed as it runs); its JSON file,
    per engine."""
    subprocess.run([sys.executable, str(REPO / "bench" / "search.py"), "--quick",
                    "--engine", engine, "--postgres", PG_ADMIN_URL], cwd=REPO, check=True)
    suffix = "" if engine == "sqlite" else f"-{engine}"
    report = json.loads((OUT / f"search{suffix}-quick.json").read_text())
    reports = {"sqlite": report} if engine == "sqlite" else report
    return {name: r["searches"] | {"database": r["database"]} for name, r in reports.items()}


# --- the run ----------------------------------------------------------------------------------


class Suite:
    """Runs the parts, keeps the figures (written to bench/out/suite.json after each one)."""

    def __init__(self, args, plan: Plan):
        self.args = args
        self.plan = plan
        self.engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
        self.results: dict = {"meta": self._meta(), "targets": {}, "failures": [],
                              "timings_s": {}}

    def _meta(self) -> dict:
        def run(*command):
            try:
                return subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                                      timeout=10).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                return None

        return {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": self.args.quick,
                "engines": self.args.engine, "parts": self.args.only,
                "deflate_offered": not self.args.no_deflate, "idle_sockets": self.args.sockets,
                "cores": os.cpu_count(), "python": platform.python_version(),
                "node": run(node(), "--version"), "git": run("git", "rev-parse", "--short",
                                                            "HEAD"),
                "git_dirty": bool(run("git", "status", "--porcelain", "--", "chatapp", "wsgi.py")),
                "plan": self.plan.__dict__}

    def save(self) -> None:
        OUT.mkdir(exist_ok=True)
        (OUT / "suite.json").write_text(json.dumps(self.results, indent=2, ensure_ascii=False)
                                        + "\n")

    def on_server(self, part: str, target: str, measure) -> None:
        """``measure(server, tmp)`` on a fresh server for ``target``; retried once on failure."""
        for attempt in (1, 2):
            with tempfile.TemporaryDirectory(prefix="chatapp-suite-") as tmp, \
                    ExitStack() as stack:
                tmp = Path(tmp)
                server = None
                started = time.monotonic()
                try:
                    server = stack.enter_context(serving(target, tmp))
                    figures = measure(server, tmp)
                    figures["server_log"] = scan_log(server.log_path)
                    if figures["server_log"].get("tracebacks"):
                        print(f"  [{target}] {part}: {figures['server_log']['tracebacks']} "
                              "traceback(s) in the server log, the first:\n"
                              + figures["server_log"]["first_tracebacks"][0][:3000], flush=True)
                    figures["seconds"] = round(time.monotonic() - started, 1)
                    self.results["targets"].setdefault(target, {})[part] = figures
                    print(f"  [{target}] {part} took {figures['seconds']} s", flush=True)
                    return
                except Exception as error:  # noqa: BLE001 - reported, retried, then skipped
                    log = server.log_tail(3000) if server else ""
                    self.results["failures"].append({
                        "part": part, "target": target, "attempt": attempt,
                        "error": str(error)[:3000], "server_log_tail": log})
                    print(f"  [{target}] {part} FAILED (attempt {attempt}): "
                          f"{str(error)[:1500]}\n  server log tail:\n{log[-1500:]}", flush=True)
                finally:
                    self.save()

    def run(self) -> None:
        args, plan = self.args, self.plan
        parts = args.only
        variants = [False] if args.no_deflate else [True, False]
        deflate = not args.no_deflate
        socket_targets = [*self.engines, *RAW_TARGETS]
        measures = {
            "fanout": (socket_targets, lambda s, t, tmp: fanout(s, t, tmp, plan, variants)),
            "sustained": (socket_targets, lambda s, t, tmp: sustained(s, t, tmp, plan, deflate)),
            "idle": (socket_targets,
                     lambda s, t, tmp: idle(s, t, tmp, plan, deflate, args.sockets)),
            "contention": (self.engines,
                           lambda s, t, tmp: contention(s, t, tmp, plan, deflate)),
            "http": (self.engines, lambda s, t, tmp: http(s, t, tmp, plan)),
        }
        for part in PARTS:
            if part not in parts:
                continue
            print(f"== {part}", flush=True)
            started = time.monotonic()
            if part in measures:
                targets, measure = measures[part]
                for target in targets:
                    self.on_server(part, target,
                                   lambda server, tmp, t=target, m=measure: m(server, t, tmp))
            elif part == "history" and "sqlite" in self.engines:
                self.results["history"] = history_part(plan)
            elif part == "search":
                # --quick measures search on SQLite only (unless --engine postgresql).
                engine = "sqlite" if args.quick and args.engine == "both" else args.engine
                try:
                    self.results["search"] = search_part(engine)
                except (subprocess.CalledProcessError, OSError, ValueError) as error:
                    self.results["failures"].append({"part": "search", "error": str(error)})
                    print(f"  search FAILED: {error}", flush=True)
            self.results["timings_s"][part] = round(time.monotonic() - started, 1)
            self.save()


# --- the table --------------------------------------------------------------------------------


def number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 100:
        return f"{int(value):,}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def dig(data, *keys):
    """``data[k1][k2]...``, or None where a key is missing (integer keys index lists)."""
    for key in keys:
        in_list = isinstance(data, list) and isinstance(key, int) and key < len(data)
        if not (in_list or isinstance(data, dict) and key in data):
            return None
        data = data[key]
    return data


def rss_series(figures) -> str | None:
    if not figures:
        return None
    return " → ".join(f"{kb / 1024:.0f}" for kb in figures["rss_kb_series"])


def failed_step(figures) -> str | None:
    if not figures:
        return None
    step = figures["first_failed_step"]
    if step is None:
        return "none failed (the max is a lower bound)"
    refused = sum(step["ack_errors"].values())
    return (f"{step['rate']}/s: p99 {number(step['p99_ms'])} ms, lost "
            f"{step['lost_deliveries']}, refused {refused}"
            + ("" if step["client_kept_up"] else ", client fell behind"))


def table_rows(results: dict, plan: Plan) -> list[tuple[str, object]]:
    """(label, getter of a target's figures) for every row of the table; a getter returns a
    number (given ratios), a string, or None."""
    rows = []
    for variant, label in (("deflate", "deflate offered"), ("no_deflate", "no deflate")):
        rows += [
            (f"fanout p50 ms, {label}", lambda t, v=variant: dig(t, "fanout", v, "p50_ms")),
            (f"fanout p99 ms, {label}", lambda t, v=variant: dig(t, "fanout", v, "p99_ms")),
            (f"server CPU ms/message, {label}",
             lambda t, v=variant: dig(t, "fanout", v, "server_cpu_ms_per_message")),
            (f"PostgreSQL backends' CPU ms/message, {label}",
             lambda t, v=variant: dig(t, "fanout", v, "postgres_cpu_ms_per_message")),
        ]
    rows += [
        ("fanout: sockets with deflate negotiated (offered)",
         lambda t: (f"{dig(t, 'fanout', 'deflate', 'deflate_negotiated')}"
                    f"/{dig(t, 'fanout', 'deflate', 'sockets')}")
         if dig(t, "fanout", "deflate") else None),
        ("fanout: message payload bytes", lambda t: str(dig(t, "fanout", "no_deflate",
                                                            "payload_bytes") or "") or None),
        (f"sustained max msg/s (p99 < {P99_LIMIT_MS:.0f} ms, no loss)",
         lambda t: dig(t, "sustained", "max_rate")),
        ("sustained p99 ms at that rate", lambda t: dig(t, "sustained", "p99_at_max_ms")),
        ("sustained server CPU % at that rate",
         lambda t: dig(t, "sustained", "cpu_percent_at_max")),
        ("sustained: first failing step", lambda t: failed_step(dig(t, "sustained"))),
        ("idle RSS KB/socket", lambda t: dig(t, "idle", "rss_kb_per_socket")),
        ("idle sockets accepted", lambda t: dig(t, "idle", "accepted")),
        ("idle seconds to open them", lambda t: dig(t, "idle", "cycles", 0, "open_seconds")),
        ("idle RSS MB: before → open → closed, per cycle", lambda t: rss_series(dig(t, "idle"))),
        ("contention msg/s", lambda t: dig(t, "contention", "msg_per_s")),
        ("contention p50 ms", lambda t: dig(t, "contention", "p50_ms")),
        ("contention p95 ms", lambda t: dig(t, "contention", "p95_ms")),
        ("contention p99 ms", lambda t: dig(t, "contention", "p99_ms")),
        ("contention max ms", lambda t: dig(t, "contention", "max_ms")),
        ("contention errors", lambda t: dig(t, "contention", "errors")),
        ('contention "database is locked" in log',
         lambda t: dig(t, "contention", "database_is_locked_in_log")),
    ]
    for endpoint, label in (("healthz", "GET /healthz"), ("chats", "GET /api/chats (21 chats)"),
                            ("history", f"history page ({plan.http_history_messages:,} msgs)")):
        rows += [(f"http {label} req/s", lambda t, e=endpoint: dig(t, "http", e,
                                                                    "requests_per_s")),
                 (f"http {label} p99 ms", lambda t, e=endpoint: dig(t, "http", e, "p99_ms"))]
    return rows


def ratio(a, b) -> str | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        return f"{a / b:.2f}"
    return None


def table(results: dict, plan: Plan, engines: list[str]) -> str:
    """The Markdown table: one column per server, ratios chatapp / raw server per engine."""
    targets = results["targets"]
    names = {"sqlite": "chatapp SQLite", "postgresql": "chatapp PostgreSQL",
             RAW_FSIO: "raw Flask-SocketIO", RAW_NODE: "raw Node"}
    engine_names = " / ".join("SQLite" if e == "sqlite" else "PostgreSQL" for e in engines)
    header = (["measure", *(names[e] for e in engines), names[RAW_FSIO], names[RAW_NODE],
               f"÷ raw Flask-SocketIO ({engine_names})", f"÷ raw Node ({engine_names})"])
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]

    def add(label, cells, fsio_ratio="", node_ratio=""):
        lines.append("| " + " | ".join([label, *cells, fsio_ratio, node_ratio]) + " |")

    for label, getter in table_rows(results, plan):
        values = {t: getter(targets.get(t, {})) for t in (*engines, *RAW_TARGETS)}
        if all(v is None for v in values.values()):
            continue
        ratios = []
        for raw in RAW_TARGETS:
            cells = [ratio(values[e], values[raw]) for e in engines]
            ratios.append(" / ".join(c or "–" for c in cells) if any(cells) else "")
        add(label, [number(values[t]) for t in (*engines, *RAW_TARGETS)], *ratios)

    blank = ["–"] * (len(engines) + 2)
    hist = results.get("history")
    if hist:
        depth = plan.history_depth
        for key, label in (("newest_page", "newest"), (f"page_at_depth_{depth}",
                                                        f"at depth {depth:,}"),
                           ("oldest_page", "oldest"),
                           (f"catch_up_after_depth_{depth}", f"catch-up after depth {depth:,}")):
            cells = list(blank)
            if "sqlite" in engines:
                cells[engines.index("sqlite")] = (f"{number(hist[key]['p50_ms'])} / "
                                                  f"{number(hist[key]['p99_ms'])}")
            if "postgresql" in engines:
                cells[engines.index("postgresql")] = "not measured"
            add(f"history page {label}, p50 / p99 ms ({hist['messages_total']:,}-message "
                "database, in-process)", cells)
    search = results.get("search")
    if search:
        first = next(iter(search.values()))
        for name in first:
            if name in ("query_plan", "database"):
                continue
            cells = list(blank)
            for engine, report in search.items():
                if engine in engines and name in report:
                    cells[engines.index(engine)] = (f"{number(report[name]['p50_ms'])} / "
                                                    f"{number(report[name]['p99_ms'])}")
            add(f"search {name} ({first[name]['query']!r}), p50 / p99 ms", cells)
    return "\n".join(lines)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smaller and shorter parts (about 3 minutes) to try the suite")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both",
                        help="chatapp's database engine(s) (default both)")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run (default all: {','.join(PARTS)})")
    parser.add_argument("--sockets", type=int, default=None,
                        help="idle sockets to open (default 3000, --quick 500)")
    parser.add_argument("--no-deflate", action="store_true",
                        help="clients do not offer permessage-deflate (default: they do, and "
                             "fanout runs both ways)")
    args = parser.parse_args()
    args.only = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(args.only) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts {unknown}; choose from {', '.join(PARTS)}")
    return args


def _interrupted(signum, frame):
    raise KeyboardInterrupt  # so every with-block stops its servers and clients


def main() -> None:
    args = parse_args()
    plan = QUICK if args.quick else Plan()
    if args.sockets:
        plan = replace(plan, idle_sockets=args.sockets)
    args.sockets = plan.idle_sockets
    signal.signal(signal.SIGTERM, _interrupted)
    # Many sockets: the load client and the servers inherit this process's open-file limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    started = time.monotonic()
    suite = Suite(args, plan)
    try:
        suite.run()
    except KeyboardInterrupt:
        suite.results["interrupted"] = True
        suite.save()
        sys.exit("bench/suite.py: interrupted; the figures so far are in bench/out/suite.json")
    total = time.monotonic() - started
    suite.results["total_seconds"] = round(total, 1)
    suite.save()

    text = table(suite.results, plan, suite.engines)
    mode = "--quick" if args.quick else "full"
    title = (f"bench/suite.py ({mode}, {suite.results['meta']['started']}, "
             f"{os.cpu_count()} cores, total {total / 60:.1f} min; ratios are chatapp ÷ raw "
             "server: above 1 is slower, more CPU or more memory, except msg/s and accepted)")
    failures = suite.results["failures"]
    notes = [f"- failed: {f.get('target', '')} {f['part']} (attempt {f.get('attempt', 1)}): "
             f"{f['error'].splitlines()[0][:200]}" for f in failures]
    report = "\n".join([title, "", text, *([""] + notes if notes else [])]) + "\n"
    print("\n" + report)
    OUT.mkdir(exist_ok=True)
    (OUT / "suite.md").write_text(report)
    print(f"written to {OUT / 'suite.json'} and {OUT / 'suite.md'}; timings: "
          f"{json.dumps(suite.results['timings_s'])}")


if __name__ == "__main__":
    main()
