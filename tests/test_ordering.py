"""Message order under concurrency, on SQLite and on PostgreSQL.

Positions (``seq``) must become visible in order: if seq 5 could commit before seq 4, a client
catching up with "everything after 3" would see 5, move its cursor past 4, and never see 4.
A reader catches up continuously while several writers send at once; at the end it must hold
every message exactly once.
"""

import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from chatapp.database import upgrade_database
from chatapp.extensions import db
from tests.helpers import PASSWORD, ApiClient, require
from tests.helpers.databases import PG_ADMIN_URL


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        require(False, f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
    name = f"chatapp_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.sqlite_only),
                        pytest.param("postgresql", marks=pytest.mark.postgres)])
def ordered_app(request, make_app, tmp_path):
    if request.param == "sqlite":
        return make_app()
    url = request.getfixturevalue("pg_url")
    app = make_app(SQLALCHEMY_DATABASE_URI=url,
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 10})
    upgrade_database(app)
    return app


def _client(app, name):
    client = ApiClient(app.test_client())
    assert client.post("/api/auth/register", json={"user_name": name, "password": PASSWORD}
                       ).status_code == 201
    return client


def test_catch_up_never_skips_a_message_under_concurrent_senders(ordered_app):
    app = ordered_app
    owner = _client(app, "owner")
    writers = [_client(app, f"writer{i}") for i in range(4)]
    with app.app_context():
        ids = {r.user_name: r.user_id for r in db.session.execute(
            text("SELECT user_id, user_name FROM users"))}
    for i, client in enumerate(writers):
        sent = owner.post("/api/friend-requests", json={"user_id": ids[f"writer{i}"]}).get_json()
        client.post(f"/api/friend-requests/{sent['request']['request_id']}/accept")
    chat_id = owner.post("/api/chats", json={
        "chat_name": "Race", "member_ids": [ids[f"writer{i}"] for i in range(4)],
    }).get_json()["chat"]["chat_id"]

    per_writer, done = 25, threading.Event()
    seen, errors = [], []
    reader = owner

    def write(client, name):
        try:
            for i in range(per_writer):
                response = client.post(f"/api/chats/{chat_id}/messages",
                                       json={"text": f"{name}:{i}", "client_msg_id": f"{name}-{i}"})
                assert response.status_code == 201, response.get_json()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def read():
        cursor = 0
        while True:
            # A client polls; it does not spin. A spinning thread would hold the GIL and
            # stretch every writer's transaction (CPython's convoy effect: each SQLite call
            # gives the GIL up and waits a switch interval to get it back), which is about this
            # test's threads, not about the server.
            time.sleep(0.002)
            finished = done.is_set()
            page = reader.get(f"/api/chats/{chat_id}/messages?after={cursor}&limit=100").get_json()
            for message in page["messages"]:
                seen.append(message["seq"])
                cursor = message["seq"]
            if finished and not page["has_more_after"]:
                return

    threads = [threading.Thread(target=write, args=(c, f"w{i}")) for i, c in enumerate(writers)]
    reading = threading.Thread(target=read)
    reading.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reading.join(timeout=60)
    assert errors == []

    everything, cursor = [], 0
    while True:
        page = owner.get(f"/api/chats/{chat_id}/messages?after={cursor}&limit=100").get_json()
        everything += [m["seq"] for m in page["messages"]]
        if not page["has_more_after"]:
            break
        cursor = everything[-1]
    # The group notices (created, 4 members added) and every message, dense from 1.
    assert everything == list(range(1, 4 * per_writer + 5 + 1))
    assert seen == everything  # the live reader missed nothing and saw nothing twice


@pytest.mark.postgres
def test_search_works_on_postgresql(make_app, pg_url):
    """The full corpus runs on PostgreSQL in test_search_postgres.py; this is the smoke test."""
    app = make_app(SQLALCHEMY_DATABASE_URI=pg_url)
    upgrade_database(app)
    client = _client(app, "alice")
    chat_id = client.post("/api/chats", json={"chat_name": "Notes"}).get_json()["chat"]["chat_id"]
    client.post(f"/api/chats/{chat_id}/messages",
                json={"text": "上海 hello world", "client_msg_id": "h1"})
    for query in ("hello", "hel", "上海", "上"):
        response = client.get("/api/search", query_string={"q": query})
        assert response.status_code == 200, query
        assert [r["message"]["msg_text"] for r in response.get_json()["results"]] == [
            "上海 hello world"], query
