"""The production entry point as a real server process, for end-to-end tests.

``LiveServer`` runs ``python wsgi.py`` (eventlet, auto-migration, the instance folder's secret
key: everything production does) on a free local port, and ``HttpApi`` speaks the JSON API to it
over real HTTP with ``requests``, CSRF header included.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.helpers.databases import PG_ADMIN_URL

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 20.0  # seconds until /healthz must answer 200

# Real scrypt with cheap parameters, and no log-in rate limit (tests log in many times).
TEST_ENV = {
    "CHATAPP_HOST": "127.0.0.1",
    "CHATAPP_PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    "CHATAPP_RATELIMIT_ENABLED": "0",
}


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerFailed(RuntimeError):
    """The server process died or never became healthy; the message carries its log."""


class LiveServer:
    """``python wsgi.py`` (or another ``command`` serving the app on CHATAPP_PORT) in a
    subprocess on ``instance_path``; its output goes to a log file."""

    def __init__(self, instance_path, log_path=None, env=None, command=None, cwd=REPO_ROOT):
        self.instance_path = Path(instance_path)
        self.cwd = cwd
        self.command = list(command or [sys.executable, "wsgi.py"])
        self.log_path = Path(log_path) if log_path else self.instance_path.parent / "server.log"
        self.extra_env = dict(env or {})
        self.port = None
        self.process = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = STARTUP_TIMEOUT) -> "LiveServer":
        """Start the process and wait (bounded) until GET /healthz answers 200."""
        self.port = free_port()
        env = {
            **os.environ,
            **TEST_ENV,
            "CHATAPP_INSTANCE_PATH": str(self.instance_path),
            "CHATAPP_PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        env.pop("DATABASE_URL", None)  # the database must be the one in the instance folder
        env.pop("CHATAPP_SQLALCHEMY_DATABASE_URI", None)
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=env,
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self._fail(f"server exited with code {self.process.returncode} while starting")
            try:
                response = requests.get(self.url + "/healthz", timeout=1)
                if response.status_code == 200 and response.json() == {"status": "ok"}:
                    return self
            except (requests.ConnectionError, requests.Timeout, ValueError):
                pass
            if time.monotonic() > deadline:
                self._fail(f"/healthz did not answer 200 within {timeout:.0f} s")
            time.sleep(0.05)

    def _fail(self, reason: str):
        self.stop()
        raise ServerFailed(f"{reason}; server log:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the process (kill it if it does not stop) and close its log."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, chars: int = 6000) -> str:
        """The end of what the server wrote to stdout and stderr."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no server log)"
        return text[-chars:]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


@dataclass(frozen=True)
class Person:
    """A user registered on a live server."""

    user_id: int
    user_name: str
    password: str


class HttpApi:
    """A ``requests`` session that speaks the JSON API with the session's CSRF token."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()
        self._token = None

    def token(self, refresh: bool = False) -> str:
        if self._token is None or refresh:
            response = self.http.get(self.base_url + "/api/auth/csrf", timeout=10)
            assert response.status_code == 200, response.text
            self._token = response.json()["csrf_token"]
        return self._token

    def request(self, method: str, path: str, csrf: bool = True, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if method != "GET" and csrf:
            headers.setdefault("X-CSRFToken", self.token())
        response = self.http.request(method, self.base_url + path, headers=headers, timeout=10,
                                     **kwargs)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            body = response.json()
            if isinstance(body, dict) and "csrf_token" in body:
                self._token = body["csrf_token"]
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def register(self, user_name: str, password: str, email: str | None = None) -> Person:
        body = {"user_name": user_name, "password": password}
        if email:
            body["email"] = email
        response = self.post("/api/auth/register", json=body)
        assert response.status_code == 201, response.text
        user = response.json()["user"]
        return Person(user["user_id"], user["user_name"], password)

    def login(self, person: Person, remember: bool = False) -> "HttpApi":
        response = self.post("/api/auth/login", json={
            "user_name": person.user_name, "password": person.password, "remember": remember,
        })
        assert response.status_code == 200, response.text
        return self

    def cookie_header(self) -> str:
        """The session's cookies as one ``Cookie`` header value (for a Socket.IO client)."""
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server answers at PG_ADMIN_URL."""


@contextmanager
def postgres_database(prefix: str = "chatapp_live"):
    """The URL of a new, empty PostgreSQL database on PG_ADMIN_URL's server, dropped after."""
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        admin.dispose()
        raise PostgresUnavailable(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}") from exc
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
