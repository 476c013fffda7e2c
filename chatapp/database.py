"""Database behaviour the app relies on: SQLite pragmas and write transactions.

SQLite is a production store here. Each connection runs in WAL mode with foreign keys on and a
busy timeout. Transactions start DEFERRED (readers never block anyone) except inside
``write_transaction()``, which starts with ``BEGIN IMMEDIATE``: the write lock is taken up front,
so a concurrent writer waits for it (busy timeout) instead of failing halfway with "database is
locked" when its read snapshot cannot be upgraded.
"""

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from .extensions import db

_immediate: ContextVar[bool] = ContextVar("chatapp_begin_immediate", default=False)
# SQLite writers of this process take turns here before BEGIN IMMEDIATE (a cooperative lock
# once gevent or eventlet patched threading), so SQLite's busy handler, which sleeps in C and
# would stall every greenlet of the process, only ever waits for other processes.
_sqlite_writers = threading.RLock()


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Install the SQLite connection pragmas and transaction begin on ``engine``."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN, instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


@contextmanager
def write_transaction(keep=None) -> Iterator[None]:
    """Run the block in one write transaction: commit at the end, roll back on error.

    Any read transaction the session holds is ended first, so the write starts from a fresh
    snapshot with the write lock held, and every object loaded before is expired (read again
    on its next use), except ``keep``: an object the caller knows to be current enough, such
    as the user this request authenticated a moment ago, whose reload would cost a statement.
    Services are the only callers.
    """
    session = db.session()  # the scoped session's current Session
    if session.in_transaction():
        if keep is None:
            session.commit()
        else:
            expire, session.expire_on_commit = session.expire_on_commit, False
            try:
                session.commit()
            finally:
                session.expire_on_commit = expire
            for obj in list(session.identity_map.values()):
                if obj is not keep:
                    session.expire(obj)
    in_turn = _sqlite_writers if session.get_bind().dialect.name == "sqlite" else nullcontext()
    with in_turn:
        token = _immediate.set(True)
        try:
            session.connection()  # begins now, as BEGIN IMMEDIATE on SQLite
            yield
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            _immediate.reset(token)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What migrations compare with the models: not the search index's virtual tables,
    which the search migration makes and no model describes."""
    return not (type_ == "table" and name and name.startswith("message_fts"))


# The PostgreSQL advisory lock key migrations hold ("chat" in ASCII).
MIGRATION_LOCK_KEY = 0x63686174


@contextmanager
def migration_lock() -> Iterator[None]:
    """Hold the database's migration lock: processes starting together migrate one at a time,
    and each later one finds the schema already current.

    PostgreSQL: a session advisory lock on a connection of its own. SQLite: an exclusive
    ``flock`` on a file beside the database (SQLite's own locks would block Alembic's
    connection too). An in-memory SQLite database has no other process to wait for.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"),
                             {"key": MIGRATION_LOCK_KEY})
        return
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(path + ".migrate-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file closes
        yield


def upgrade_database(app, backup_first: bool | None = None, revision: str = "head") -> None:
    """Bring the database to the newest migration (an empty database gets every table), under
    the migration lock. When a database that already has tables is behind, it is backed up
    first (``BACKUP_BEFORE_MIGRATE``; ``backup_first`` overrides it), and a failed backup stops
    the upgrade."""
    from flask_migrate import upgrade

    if backup_first is None:
        backup_first = app.config["BACKUP_BEFORE_MIGRATE"]
    with app.app_context(), migration_lock():
        current, head = schema_revisions(app)
        if backup_first and current is not None and current != head:
            from .backup import pre_upgrade_backup

            folder = pre_upgrade_backup(app, current)
            app.logger.info("backed up the database at revision %s to %s before upgrading",
                            current, folder)
        upgrade(revision=revision)


def schema_revisions(app) -> tuple[str | None, str]:
    """(the database's revision, None when it has none; the newest revision of the code)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with app.app_context(), db.engine.connect() as connection:
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        current = MigrationContext.configure(connection).get_current_revision()
    return current, script.get_current_head()
