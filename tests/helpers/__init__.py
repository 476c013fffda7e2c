"""What tests share besides fixtures: the password, people, a JSON API client, and readers of
answers, events, images, upload folders and pages. Fixtures live in conftest.py."""

import io
import os
import re
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import Membership

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Person:
    """A registered user as the tests know them: id, name and password."""

    user_id: int
    user_name: str
    password: str = PASSWORD


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


def error_code(response):
    """The stable error code of a JSON error answer."""
    return response.get_json()["error"]["code"]


def events(sock, name=None):
    """The events a test socket received since last asked, optionally only those of ``name``."""
    received = [(e["name"], e["args"][0]) for e in sock.get_received()]
    return [payload for event, payload in received if event == name] if name else received


def csrf_from(html: str) -> str:
    """The CSRF token a page carries in its ``csrf-token`` meta tag."""
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)


def roles(app, chat_id):
    """Each member's privilege in a chat, by user id, as stored."""
    with app.app_context():
        return dict(db.session.execute(
            select(Membership.user_id, Membership.privilege).where(Membership.chat_id == chat_id)
        ).all())


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
