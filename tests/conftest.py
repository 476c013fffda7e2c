"""Shared fixtures: an app on its own database per test, named people, logged-in clients.

One switch picks the database engine for every app the suite builds: ``--database postgresql``
or ``CHATAPP_TEST_DATABASE=postgresql`` (default ``sqlite``). The schema is built once per run
(per xdist worker) by the real migrations into a template database; each test gets its own copy:
a copy of the SQLite file (WAL), or ``CREATE DATABASE ... TEMPLATE`` on the PostgreSQL server
at ``CHATAPP_TEST_POSTGRES``. Tests that do not follow the switch (``NOT_SWITCHED``: SQLite's
own behaviour is marked ``sqlite_only``) run in the SQLite run only.

Only fixtures and hooks live here; what tests import (PASSWORD, ApiClient, events, ...) is in
``tests/helpers/``, the template and copies of the databases in ``tests/helpers/databases.py``.
"""

import os

import pytest

from chatapp import create_app
from chatapp.extensions import db, socketio
from chatapp.services import accounts
from tests.helpers import PASSWORD, ApiClient, Person
from tests.helpers.databases import PostgresDatabases, SqliteDatabases, app_config

ENGINES = ("sqlite", "postgresql")


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
        app = create_app(app_config(tmp_path, url) | overrides)
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
def pair(api, befriend, alice, bob):
    """alice and bob, friends, with their private chat: its id."""
    befriend(alice, bob)
    response = api(alice).post("/api/chats/private", json={"user_id": bob.user_id})
    return response.get_json()["chat"]["chat_id"]


@pytest.fixture
def group(api, befriend, alice, bob, carol):
    """"Team": alice owns it, bob and carol are members; everyone is alice's friend. Its id."""
    befriend(alice, bob)
    befriend(alice, carol)
    response = api(alice).post("/api/chats", json={"chat_name": "Team",
                                                   "member_ids": [bob.user_id, carol.user_id]})
    assert response.status_code == 201
    return response.get_json()["chat"]["chat_id"]


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI nothing may be skipped: a skip there means a browser or service went missing."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run everything: {report.longrepr}"
