"""SQLite as a production store: WAL, foreign keys, busy timeout, BEGIN IMMEDIATE writers,
and a schema made by the migrations that matches the models."""

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from chatapp.database import include_object, schema_revisions, upgrade_database, write_transaction
from chatapp.extensions import db
from chatapp.models import Chat

SPEC_COLUMNS = {
    "users": {"user_id", "user_name", "password", "register_time", "login_time", "user_email",
              "user_icon"},
    "messages": {"msg_id", "sender_id", "chat_id", "msg_text", "msg_file", "msg_type",
                 "create_time", "update_time"},
    "message_reads": {"msg_id", "user_id"},
    "chats": {"chat_id", "chat_name", "create_time", "is_private"},
    "friendships": {"user_id", "friend_id", "update_time"},
    "memberships": {"user_id", "chat_id", "privilege", "update_time"},
}


@pytest.mark.sqlite_only
def test_upgrade_on_empty_database_creates_every_spec_table_and_column(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade_database(app)
    with app.app_context():
        inspector = inspect(db.engine)
        for table, columns in SPEC_COLUMNS.items():
            present = {c["name"] for c in inspector.get_columns(table)}
            assert columns <= present, (table, columns - present)
        unique = {c["name"]: c["column_names"]
                  for c in inspector.get_unique_constraints("messages")}
        assert unique["uq_messages_chat_id_seq"] == ["chat_id", "seq"]
        db.engine.dispose()


def test_upgrade_is_idempotent_on_a_current_database(app):
    upgrade_database(app)  # the template is already at head: nothing to do, no error
    with app.app_context():
        current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    assert current == schema_revisions(app)[1]  # the newest revision
    assert not (Path(app.instance_path) / "backups").exists()  # nothing to back up


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


@pytest.mark.sqlite_only
def test_connection_pragmas(app):
    with app.app_context():
        assert db.session.scalar(text("PRAGMA journal_mode")) == "wal"
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        assert db.session.scalar(text("PRAGMA busy_timeout")) == 10_000


@pytest.mark.sqlite_only
def test_write_transaction_takes_the_write_lock_up_front(app):
    """Inside write_transaction another connection cannot start writing: the lock is held."""
    db_file = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context(), write_transaction():
        other = sqlite3.connect(db_file, timeout=0.05)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
        else:
            raise AssertionError("a second writer got the lock")
        finally:
            other.close()


@pytest.mark.sqlite_only
def test_reads_do_not_take_the_write_lock(app):
    """While the session holds a read transaction, another connection can take the write lock
    and commit."""
    db_file = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context():
        db.session.scalar(text("SELECT count(*) FROM users"))
        assert db.session().in_transaction()  # the read transaction is open
        other = sqlite3.connect(db_file, timeout=0.05)
        try:
            try:
                other.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise AssertionError(f"a read holds the write lock: {exc}") from exc
            other.execute("INSERT INTO chats (chat_name, create_time, is_private) "
                          "VALUES ('x', 0, 0)")
            other.commit()
        finally:
            other.close()
        db.session.rollback()
        assert db.session.scalar(text("SELECT count(*) FROM chats WHERE chat_name = 'x'")) == 1


def test_concurrent_writers_wait_instead_of_failing(app):
    """Many threads each read, then write in one transaction (as services check, then change):
    none fails with 'database is locked'."""
    errors, writers, per_writer = [], 8, 15

    def work(n):
        try:
            with app.app_context():
                for i in range(per_writer):
                    with write_transaction():
                        count = db.session.scalar(text("SELECT count(*) FROM chats"))
                        db.session.add(Chat(chat_name=f"w{n}-{i}-after-{count}"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM chats")) == writers * per_writer


def test_write_transaction_rolls_back_on_error(app):
    with app.app_context():
        try:
            with write_transaction():
                db.session.add(Chat(chat_name="never"))
                db.session.flush()
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert db.session.scalar(text("SELECT count(*) FROM chats WHERE chat_name='never'")) == 0


@pytest.mark.sqlite_only
def test_upgrading_an_older_populated_database_keeps_its_data(make_app, tmp_path):
    """A database at the first revision, with messages and receipts, upgrades without loss."""
    from flask_migrate import upgrade

    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        upgrade(revision="0001")
        db.session.execute(text(
            "INSERT INTO users (user_id, user_name, user_name_key, password, register_time) "
            "VALUES (1, 'alice', 'alice', 'x', 0), (2, 'bob', 'bob', 'x', 0)"))
        db.session.execute(text(
            "INSERT INTO chats (chat_id, chat_name, create_time, is_private) "
            "VALUES (1, 'T', 0, 0)"))
        db.session.execute(text(
            "INSERT INTO messages (msg_id, sender_id, chat_id, seq, msg_text, msg_type, "
            "create_time, update_time) VALUES (1, 1, 1, 1, 'hi', 'text', 0, 0)"))
        db.session.execute(text("INSERT INTO message_reads (msg_id, user_id) VALUES (1, 2)"))
        db.session.commit()
        upgrade()
        assert db.session.scalar(text("SELECT count(*) FROM message_reads")) == 1
        assert db.session.scalar(text("SELECT msg_text FROM messages")) == "hi"
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        db.engine.dispose()


GREENLET_WRITERS = r"""
from gevent import monkey
monkey.patch_all()
import sys, time
import gevent
from sqlalchemy import text
from chatapp import create_app
from chatapp.database import upgrade_database, write_transaction
from chatapp.extensions import db

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "SECRET_KEY": "x",
                  "INSTANCE_PATH": sys.argv[2], "SQLITE_BUSY_TIMEOUT_MS": 2000})
upgrade_database(app)
gaps, done = [], []

def writer(name, hold):
    with app.app_context():
        with write_transaction():
            db.session.execute(text("UPDATE users SET user_name = user_name"))
            gevent.sleep(hold)  # anything cooperative inside a transaction yields to the hub
        done.append(name)

def ticker():
    last = time.monotonic()
    while len(done) < 2:
        gevent.sleep(0.01)
        now = time.monotonic()
        gaps.append(now - last)
        last = now

jobs = [gevent.spawn(ticker), gevent.spawn(writer, "first", 0.3)]
gevent.sleep(0.05)
jobs.append(gevent.spawn(writer, "second", 0))
gevent.joinall(jobs, raise_error=True)
print(sorted(done), round(max(gaps), 3))
"""


@pytest.mark.sqlite_only
def test_writers_of_one_gevent_process_wait_their_turn_without_stalling_it(tmp_path):
    """A write transaction that yields (here on purpose) while a second greenlet wants to write:
    the second waits on the process's writer lock, cooperatively, instead of in SQLite's busy
    handler, which sleeps in C, stalls every greenlet (the first one too, so it cannot commit)
    and ends in "database is locked" after the busy timeout."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", GREENLET_WRITERS, str(tmp_path / "g.db"), str(tmp_path / "i")],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    done, longest_stall = result.stdout.split("]")
    assert done + "]" == "['first', 'second']"
    assert float(longest_stall) < 0.2  # the hub kept running: ticks every 10 ms
