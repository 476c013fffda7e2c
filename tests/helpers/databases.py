"""The databases of a test run: a template migrated once by the real migrations, and a copy
of it for each app (a SQLite file, or a PostgreSQL database made from the template)."""

import itertools
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chatapp import create_app
from chatapp.database import upgrade_database
from chatapp.extensions import db
from tests.helpers import require

PG_ADMIN_URL = os.environ.get("CHATAPP_TEST_POSTGRES",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def app_config(tmp_path, database_url):
    """The configuration of a test app in ``tmp_path`` on the database at ``database_url``."""
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # Real scrypt, cheaper parameters: the suite hashes hundreds of passwords.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "RATELIMIT_ENABLED": False,
    }
    if database_url.startswith("postgresql"):
        # A throwaway database need not wait for the disk on each commit.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": "-c synchronous_commit=off"}}
    return config


class SqliteDatabases:
    """A migrated template file, copied for each app."""

    def __init__(self, folder):
        self.folder = folder
        self.template = folder / "template.db"
        self.names = itertools.count()

    def migrate_template(self):
        app = create_app(app_config(self.folder, f"sqlite:///{self.template}"))
        upgrade_database(app)
        with app.app_context():
            db.engine.dispose()  # closes the connections; the WAL is checkpointed into the file

    def create(self, folder):
        """A new database with the template's schema: its URL."""
        db_file = folder / f"chatapp-{next(self.names)}.db"
        shutil.copyfile(self.template, db_file)
        return f"sqlite:///{db_file}"

    def drop(self, url):
        """Nothing to do: the file goes with the test's temporary folder."""

    def close(self):
        """Nothing to do: the template goes with the run's temporary folder."""


class PostgresDatabases:
    """A migrated template database on the server, copied by ``CREATE DATABASE ... TEMPLATE``
    for each app. Names carry the xdist worker and a random part, so parallel runs (and
    parallel workers) never meet. Copies are made, and dropped, by one background thread while
    tests run: the next copy is ready when a test asks (a copy takes ~0.2 s)."""

    def __init__(self, folder, admin_url=PG_ADMIN_URL):
        self.folder = folder
        self.admin_url = make_url(admin_url)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.prefix = f"chatapp_test_{worker}_{uuid.uuid4().hex[:8]}"
        self.template = f"{self.prefix}_template"
        self.names = itertools.count()
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with self.admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
            self.admin.dispose()
            require(False, f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
        self.background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-databases")
        self.next = None  # the copy being made for the next test that asks
        self.dropping = []

    def url(self, name):
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def _run(self, sql):
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def migrate_template(self):
        self._run(f'CREATE DATABASE "{self.template}"')
        app = create_app(app_config(self.folder, self.url(self.template)))
        upgrade_database(app)
        with app.app_context():
            db.engine.dispose()  # a template may have no connections while it is copied

    def _copy(self):
        name = f"{self.prefix}_{next(self.names)}"
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url(name)

    def _drop(self, name):
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(self, folder):
        """A new database with the template's schema: its URL (``folder`` is not needed)."""
        ready = self.next.result() if self.next else self._copy()
        self.next = self.background.submit(self._copy)
        return ready

    def drop(self, url):
        """Drop the database, in the background (its connections are cut)."""
        self.dropping.append(self.background.submit(self._drop, make_url(url).database))

    def close(self):
        """Drop the last copies and the template once the background work is done."""
        try:
            if self.next:
                self.drop(self.next.result())
            for future in self.dropping:
                future.result()
        finally:
            self.background.shutdown()
            self._drop(self.template)
            self.admin.dispose()
