"""How the server runs, on real processes: gevent by default, gunicorn's gevent worker,
eventlet as an opt-in for one SQLite process (refused on PostgreSQL), a taken port refused,
processes starting together on one database, and a PostgreSQL wait that stalls nothing else.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from tests import live_server
from tests.helpers import PASSWORD, require
from tests.live_server import PG_ADMIN_URL, REPO_ROOT, HttpApi, LiveServer, Person, free_port

pytestmark = pytest.mark.server

@contextmanager
def postgres_database():
    """A new, empty PostgreSQL database (its URL); fails in CI when there is no server."""
    try:
        with live_server.postgres_database("chatapp_rt") as url:
            yield url
    except live_server.PostgresUnavailable as error:
        require(False, str(error))


@pytest.fixture
def servers(tmp_path):
    """Start servers (``LiveServer`` arguments); all are stopped after the test."""
    started = []

    def start(name="server", **kwargs):
        server = LiveServer(kwargs.pop("instance", tmp_path / name / "instance"),
                            log_path=tmp_path / f"{name}.log", **kwargs)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
        print(f"--- {server.log_path} ---\n{server.log_tail()}")


def run_wsgi(tmp_path, env, timeout=30):
    """``python wsgi.py`` to its end (it is expected to refuse to start)."""
    full_env = {**os.environ, "CHATAPP_INSTANCE_PATH": str(tmp_path / "refused"),
                "CHATAPP_HOST": "127.0.0.1", **env}
    full_env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "wsgi.py"], cwd=REPO_ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def chat_round_trip(url, name):
    """Register, open a WebSocket, send a message and get it back live."""
    api = HttpApi(url)
    api.register(name, PASSWORD)
    chat_id = api.post("/api/chats", json={"chat_name": name}).json()["chat"]["chat_id"]
    got = threading.Event()
    sock = socketio.Client(reconnection=False)
    sock.on("message_created", lambda payload: got.set())
    sock.connect(url, headers={"Cookie": api.cookie_header()}, transports=["websocket"],
                 wait_timeout=5)
    try:
        ack = sock.call("send_message", {"chat_id": chat_id, "text": "hello",
                                         "client_msg_id": "rt-1"}, timeout=10)
        assert ack["ok"], ack
        assert got.wait(5)
    finally:
        sock.disconnect()
    return api, chat_id


def test_python_wsgi_serves_on_gevent(servers):
    server = servers()
    chat_round_trip(server.url, "gevent-user")
    assert "with gevent" in server.log_tail()


def test_gunicorn_with_the_shipped_config_serves_on_its_gevent_worker(servers):
    server = servers(command=[sys.executable, "-m", "gunicorn", "-c",
                              "deploy/gunicorn.conf.py", "wsgi:app"])
    chat_round_trip(server.url, "gunicorn-user")
    log = server.log_tail(100_000)
    assert "Using worker: gevent" in log
    assert (server.instance_path / "chatapp.db").is_file()  # migrated by the worker hook


def test_eventlet_is_an_opt_in_for_one_sqlite_process(servers):
    server = servers(env={"CHATAPP_ASYNC_MODE": "eventlet"})
    chat_round_trip(server.url, "eventlet-user")
    assert "with eventlet" in server.log_tail()


def test_eventlet_refuses_to_start_on_postgresql(tmp_path):
    result = run_wsgi(tmp_path, {"CHATAPP_ASYNC_MODE": "eventlet", "CHATAPP_PORT": str(free_port()),
                                 "CHATAPP_DATABASE_URL": PG_ADMIN_URL})
    assert result.returncode == 1
    assert "eventlet serves SQLite only" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_async_mode_is_refused_in_one_line(tmp_path):
    result = run_wsgi(tmp_path, {"CHATAPP_ASYNC_MODE": "tornado"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("chatapp: CHATAPP_ASYNC_MODE")
    assert "Traceback" not in result.stderr


def test_a_missing_database_driver_is_one_line_saying_what_to_install(tmp_path):
    result = run_wsgi(tmp_path, {"CHATAPP_PORT": str(free_port()),
                                 "CHATAPP_DATABASE_URL": "postgresql+psycopg2://u@127.0.0.1/d"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("chatapp: The postgresql database needs the psycopg2 driver")
    assert "pip install" in last


def test_a_taken_port_makes_the_server_exit_at_once(servers, tmp_path):
    first = servers()
    started = time.monotonic()
    result = run_wsgi(tmp_path, {"CHATAPP_PORT": str(first.port)})
    assert result.returncode == 1
    assert "already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 15  # at once: it never waited to serve
    assert not (tmp_path / "refused" / "chatapp.db").exists()  # nor migrated anything
    # The first server still has every request (nothing was shared).
    assert all(requests.get(first.url + "/healthz", timeout=5).status_code == 200
               for _ in range(20))


def test_a_port_held_by_anything_else_is_refused_too(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        result = run_wsgi(tmp_path, {"CHATAPP_PORT": str(holder.getsockname()[1])})
    assert result.returncode == 1 and "already in use" in result.stderr


@pytest.mark.postgres
def test_three_processes_started_together_on_postgresql_all_come_up(tmp_path):
    with postgres_database() as url:
        servers = [LiveServer(tmp_path / f"p{n}" / "instance", log_path=tmp_path / f"p{n}.log",
                              env={"CHATAPP_DATABASE_URL": url}) for n in range(3)]
        errors = []

        def start(server):
            try:
                server.start(timeout=60)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=start, args=(s,)) for s in servers]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(90)
            assert errors == []
            for n, server in enumerate(servers):
                chat_round_trip(server.url, f"three-{n}")
            engine = create_engine(url)
            with engine.connect() as conn:
                versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
            engine.dispose()
            assert len(versions) == 1
        finally:
            for server in servers:
                server.stop()


def test_three_processes_started_together_on_one_sqlite_file_all_come_up(tmp_path):
    instance = tmp_path / "shared"
    instance.mkdir()
    # One secret key for all three, as a shared instance folder gives them.
    servers = [LiveServer(instance, log_path=tmp_path / f"s{n}.log") for n in range(3)]
    threads = [threading.Thread(target=s.start) for s in servers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for server in servers:
            assert requests.get(server.url + "/healthz", timeout=5).status_code == 200, \
                server.log_tail()
    finally:
        for server in servers:
            server.stop()


@pytest.mark.postgres
def test_a_held_postgresql_row_lock_stalls_only_the_send_that_waits_for_it(tmp_path):
    with postgres_database() as url:
        server = LiveServer(tmp_path / "instance", log_path=tmp_path / "server.log",
                            env={"CHATAPP_DATABASE_URL": url}).start()
        locker = create_engine(url)
        try:
            api, chat_a = chat_round_trip(server.url, "lock-alice")
            chat_b = api.post("/api/chats", json={"chat_name": "B"}).json()["chat"]["chat_id"]
            blocked = {}

            def send_in_a():
                started = time.monotonic()
                response = api.post(f"/api/chats/{chat_a}/messages",
                                    json={"text": "waits", "client_msg_id": "lock-a"})
                blocked["status"], blocked["seconds"] = (response.status_code,
                                                         time.monotonic() - started)

            with locker.connect() as conn:
                conn.execute(text("SELECT chat_id FROM chats WHERE chat_id = :id FOR UPDATE"),
                             {"id": chat_a})
                waiter = threading.Thread(target=send_in_a)
                waiter.start()
                time.sleep(1.0)  # the send in chat A is now waiting for the row lock
                assert waiter.is_alive() and not blocked

                other = HttpApi(server.url).login(api_person(api))
                started = time.monotonic()
                assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
                health_seconds = time.monotonic() - started
                started = time.monotonic()
                sent = other.post(f"/api/chats/{chat_b}/messages",
                                  json={"text": "meanwhile", "client_msg_id": "lock-b"})
                send_seconds = time.monotonic() - started
                assert sent.status_code == 201, sent.text
                assert health_seconds < 0.5 and send_seconds < 0.5, (health_seconds,
                                                                      send_seconds)
                assert waiter.is_alive()  # still held
                conn.rollback()  # let go of the lock
            waiter.join(10)
            assert blocked["status"] == 201
            assert blocked["seconds"] >= 1.0
        finally:
            locker.dispose()
            server.stop()
            print(f"--- server log ---\n{server.log_tail()}")


def api_person(api):
    """The person logged in on ``api``."""
    me = api.get("/api/me").json()["user"]
    return Person(me["user_id"], me["user_name"], PASSWORD)


def test_instance_config_sets_host_and_port_over_the_environment(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    port = free_port()
    (instance / "config.py").write_text(f'HOST = "127.0.0.1"\nPORT = {port}\n')
    env = {**os.environ, **live_server.TEST_ENV, "CHATAPP_INSTANCE_PATH": str(instance),
           "CHATAPP_PORT": str(free_port()), "CHATAPP_HOST": "0.0.0.0"}  # noqa: S104
    env.pop("DATABASE_URL", None)
    with open(tmp_path / "server.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "wsgi.py"], cwd=REPO_ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                try:
                    if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                        break
                except requests.RequestException:  # not listening yet, or busy starting
                    pass
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.1)
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert f"serving on http://127.0.0.1:{port} " in (tmp_path / "server.log").read_text()


@pytest.mark.postgres
def test_the_start_up_log_never_shows_the_database_password(servers):
    with postgres_database() as url:
        with_password = url.replace("postgres@", "postgres:Sekr1t-pw@")
        assert with_password != url
        for auto_migrate in ("1", "0"):
            server = servers(f"pw{auto_migrate}", env={"CHATAPP_DATABASE_URL": with_password,
                                                       "CHATAPP_AUTO_MIGRATE": auto_migrate})
            server.stop()
            log = server.log_path.read_text()
            assert "serving on" in log
            assert "Sekr1t-pw" not in log
