"""Shared fixtures: an app on its own database per test, named people, logged-in clients.

One switch picks the database engine for every app the suite builds: ``--database postgresql``
or ``CHATAPP_TEST_DATABASE=postgresql`` (default ``sqlite``). The schema is built once per run
(per xdist worker) by the real migrations into a template database; each test gets its own copy:
a copy of the SQLite file (WAL), or ``CREATE DATABASE ... TEMPLATE`` on the PostgreSQL server
at ``CHATAPP_TEST_POSTGRES``. Tests that do not follow the switch (``NOT_SWITCHED``: SQLite's
own behaviour is marked ``sqlite_only``) run in the SQLite run only.
"""

import io
import itertools
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chatapp import create_app
from chatapp.database import upgrade_database
from chatapp.extensions import db, socketio
from chatapp.services import accounts

PASSWORD = "correct horse battery"
ENGINES = ("sqlite", "postgresql")
PG_ADMIN_URL = os.environ.get("CHATAPP_TEST_POSTGRES",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pytest_addoption(parser):
    parser.addoption(
        "--database", choices=ENGINES, default=os.environ.get("CHATAPP_TEST_DATABASE", "sqlite"),
        help="the engine every test app runs on (default: $CHATAPP_TEST_DATABASE or sqlite)")


def pytest_configure(config):
    engine = config.getoption("--database")
    if engine not in ENGINES:
        raise pytest.UsageError(f"CHATAPP_TEST_DATABASE={engine!r}: expected one of {ENGINES}")


def pytest_report_header(config):
    return f"database: {config.getoption('--database')}"


# Tests that do not follow the switch, run once (in the SQLite run, where they always ran):
# SQLite's own behaviour; live servers and browsers (their processes use the instance folder's
# SQLite, or a PostgreSQL URL the test gives them); tests that make their own PostgreSQL database.
NOT_SWITCHED = ("sqlite_only", "server", "browser", "postgres")


def _runs_on(item, engine):
    """Whether a test runs when the suite's apps use ``engine``."""
    if engine == "sqlite":
        return True
    return not any(item.get_closest_marker(name) for name in NOT_SWITCHED)


def pytest_collection_modifyitems(config, items):
    """Deselect (not skip: CI fails on skips) what does not run on this run's engine."""
    engine = config.getoption("--database")
    keep = [item for item in items if _runs_on(item, engine)]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def _test_config(tmp_path, database_url):
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
        app = create_app(_test_config(self.folder, f"sqlite:///{self.template}"))
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
        app = create_app(_test_config(self.folder, self.url(self.template)))
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


@pytest.fixture(scope="session")
def database_engine(pytestconfig):
    """The engine this run's apps use: "sqlite" or "postgresql"."""
    return pytestconfig.getoption("--database")


@pytest.fixture(scope="session")
def template_db(database_engine, tmp_path_factory):
    """The databases of this run: a template migrated to the newest revision, and its copies."""
    folder = tmp_path_factory.mktemp("template")
    kind = SqliteDatabases if database_engine == "sqlite" else PostgresDatabases
    databases = kind(folder)
    try:
        databases.migrate_template()
        yield databases
    finally:
        databases.close()


@pytest.fixture
def make_app(tmp_path, template_db):
    """Build an app on a fresh copy of the template database; ``overrides`` change config
    (an ``SQLALCHEMY_DATABASE_URI`` there is used as given, and nothing is copied)."""
    apps, created = [], []

    def build(**overrides):
        if "SQLALCHEMY_DATABASE_URI" in overrides:
            url = overrides["SQLALCHEMY_DATABASE_URI"]
        else:
            url = template_db.create(tmp_path)
            created.append(url)
        app = create_app(_test_config(tmp_path, url) | overrides)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    for url in created:
        template_db.drop(url)


@pytest.fixture
def app(make_app):
    return make_app()


@dataclass(frozen=True)
class Person:
    """A registered user as the tests know them: id, name and password."""

    user_id: int
    user_name: str
    password: str = PASSWORD


@pytest.fixture
def make_user(app):
    """Register a user through the real service and return them as a ``Person``."""

    def make(user_name, password=PASSWORD, email=None):
        with app.app_context():
            user = accounts.register_user(user_name, password, email)
            return Person(user.user_id, user.user_name, password)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice", email="alice@example.com")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def mallory(make_user):
    return make_user("mallory")


class ApiClient:
    """A Flask test client that speaks the JSON API with the session's CSRF token."""

    def __init__(self, client):
        self.client = client
        self._token = None

    def token(self, refresh=False):
        if self._token is None or refresh:
            self._token = self.client.get("/api/auth/csrf").get_json()["csrf_token"]
        return self._token

    def _send(self, method, url, **kwargs):
        headers = kwargs.pop("headers", {})
        if method != "GET":
            headers.setdefault("X-CSRFToken", self.token())
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        body = response.get_json(silent=True) or {}
        if "csrf_token" in body:
            self._token = body["csrf_token"]
        return response

    def get(self, url, **kw):
        return self._send("GET", url, **kw)

    def post(self, url, **kw):
        return self._send("POST", url, **kw)

    def put(self, url, **kw):
        return self._send("PUT", url, **kw)

    def patch(self, url, **kw):
        return self._send("PATCH", url, **kw)

    def delete(self, url, **kw):
        return self._send("DELETE", url, **kw)

    def login(self, person, remember=False):
        response = self.post(
            "/api/auth/login",
            json={"user_name": person.user_name, "password": person.password,
                  "remember": remember},
        )
        assert response.status_code == 200, response.get_json()
        return self


@pytest.fixture
def api(app):
    """Make an ``ApiClient`` (optionally logged in as ``person``)."""

    def make(person=None):
        client = ApiClient(app.test_client())
        return client.login(person) if person else client

    return make


@pytest.fixture
def sio(app):
    """Open a Socket.IO test client on the session of an ``ApiClient``."""
    clients = []

    def make(api_client):
        sock = socketio.test_client(app, flask_test_client=api_client.client)
        clients.append(sock)
        return sock

    yield make
    for sock in clients:
        if sock.is_connected():
            sock.disconnect()


def error_code(response):
    """The stable error code of a JSON error answer."""
    return response.get_json()["error"]["code"]


def events(sock, name=None):
    """The events a test socket received since last asked, optionally only those of ``name``."""
    received = [(e["name"], e["args"][0]) for e in sock.get_received()]
    return [payload for event, payload in received if event == name] if name else received


@pytest.fixture
def befriend(api):
    """Make two people friends through the API."""

    def make(a, b):
        sent = api(a).post("/api/friend-requests", json={"user_id": b.user_id}).get_json()
        if sent.get("error", {}).get("code") == "already_friends":
            return
        accepted = api(b).post(f"/api/friend-requests/{sent['request']['request_id']}/accept")
        assert accepted.status_code == 200

    return make


@pytest.fixture
def three_chats(api, befriend, alice, bob, carol, mallory):
    """Logged-in clients by name, and chats by name: "team" (alice owns, bob and carol are in),
    "pair" (alice and bob's private chat) and "secret" (mallory's own group)."""
    befriend(alice, bob)
    befriend(alice, carol)
    clients = {"alice": api(alice), "bob": api(bob), "carol": api(carol),
               "mallory": api(mallory)}
    chats = {
        "team": clients["alice"].post("/api/chats", json={
            "chat_name": "Team", "member_ids": [bob.user_id, carol.user_id]}
        ).get_json()["chat"]["chat_id"],
        "pair": clients["alice"].post("/api/chats/private", json={"user_id": bob.user_id}
                                      ).get_json()["chat"]["chat_id"],
        "secret": clients["mallory"].post("/api/chats", json={"chat_name": "Mine"}
                                          ).get_json()["chat"]["chat_id"],
    }
    return clients, chats


def image_bytes(fmt="PNG", size=(64, 48), color=(200, 40, 40)):
    """A real image file of the given format, in memory."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def uploads_in(app, folder="avatars"):
    """The stored files in one folder of the app's upload folder."""
    path = os.path.join(app.config["UPLOAD_FOLDER"], folder)
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def require(condition, reason):
    """Skip when a browser or service is missing on a developer machine; fail in CI."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI nothing may be skipped: a skip there means a browser or service went missing."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run everything: {report.longrepr}"
