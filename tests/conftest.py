"""Shared fixtures: an app on a real SQLite file (WAL) per test, named people, logged-in clients.

The schema is built once per run by the real migrations into a template database; each test
gets its own copy of that file, so tests stay independent and fast.
"""

import io
import os
import shutil
from dataclasses import dataclass

import pytest
from PIL import Image

from chatapp import create_app
from chatapp.database import upgrade_database
from chatapp.extensions import db, socketio
from chatapp.services import accounts

PASSWORD = "correct horse battery"


def _test_config(tmp_path, db_file):
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # Real scrypt, cheaper parameters: the suite hashes hundreds of passwords.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A database file migrated to the newest revision, copied by each test."""
    base = tmp_path_factory.mktemp("template")
    db_file = base / "template.db"
    app = create_app(_test_config(base, db_file))
    upgrade_database(app)
    with app.app_context():
        db.engine.dispose()  # closes the connections; the WAL is checkpointed into the file
    return db_file


@pytest.fixture
def make_app(tmp_path, template_db):
    """Build an app on a fresh copy of the template database; ``overrides`` change config."""
    apps = []

    def build(**overrides):
        db_file = tmp_path / f"chatapp-{len(apps)}.db"
        shutil.copyfile(template_db, db_file)
        app = create_app(_test_config(tmp_path, db_file) | overrides)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


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
