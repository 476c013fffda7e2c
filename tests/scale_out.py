"""The scale-out setup for tests: three chatapp processes on one PostgreSQL database and one
Redis message queue, behind nginx running the shipped deploy/nginx.conf (``cluster``)."""

import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import redis
import requests

from tests.helpers import require
from tests.live_server import (
    REPO_ROOT,
    LiveServer,
    PostgresUnavailable,
    free_port,
    postgres_database,
)

REDIS_URL = os.environ.get("CHATAPP_TEST_REDIS", "redis://127.0.0.1:6379/0")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class Nginx:
    """nginx in the foreground on a port of its own, with the shipped config pointed at the
    given backends."""

    def __init__(self, folder: Path, backend_ports):
        self.folder = folder
        self.port = free_port()
        shipped = (REPO_ROOT / "deploy" / "nginx.conf").read_text()
        servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n"
                          for port in backend_ports)
        site, count = re.subn(r"(    server 127\.0\.0\.1:500\d [^\n]*\n)+", servers, shipped)
        assert count == 1, "deploy/nginx.conf no longer lists its upstream servers as expected"
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        (folder / "chatapp.conf").write_text(site)
        temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir(exist_ok=True)
        (folder / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$request $status -> $upstream_addr route=$cookie_chatapp_route';
    access_log {folder}/access.log upstream;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {folder}/chatapp.conf;
}}
""")
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen([NGINX, "-c", str(self.folder / "nginx.conf"),
                                         "-p", str(self.folder)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not answer")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@contextmanager
def running_cluster(tmp_path):
    """Three processes (each its own instance folder; one database, queue, secret key and
    upload folder), and nginx in front of them."""
    if not os.path.exists(NGINX):
        require(False, "nginx is not installed (make services)")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        require(False, f"Redis at {REDIS_URL} is not reachable: {error}")
    try:
        database = postgres_database("chatapp_scale")
        url = database.__enter__()
    except PostgresUnavailable as error:
        require(False, str(error))
    shared_uploads = tmp_path / "shared-uploads"
    env = {"CHATAPP_DATABASE_URL": url,
           "CHATAPP_SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
           "CHATAPP_SOCKETIO_CHANNEL": f"scale-{uuid.uuid4().hex}",
           "CHATAPP_SECRET_KEY": secrets.token_hex(32),
           "CHATAPP_UPLOAD_FOLDER": str(shared_uploads),
           "CHATAPP_TRUSTED_PROXIES": "1",
           "CHATAPP_PROCESS_HEARTBEAT_SECONDS": "0.3",
           "CHATAPP_PROCESS_TIMEOUT_SECONDS": "2"}
    servers = [LiveServer(tmp_path / f"p{n}" / "instance", log_path=tmp_path / f"p{n}.log",
                          env=env) for n in range(3)]
    nginx = None
    try:
        threads = [threading.Thread(target=s.start, kwargs={"timeout": 60}) for s in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        for server in servers:
            assert requests.get(server.url + "/readyz", timeout=5).ok, server.log_tail()
        folder = tmp_path / "nginx"
        folder.mkdir()
        nginx = Nginx(folder, [s.port for s in servers]).start()
        yield servers, nginx
    finally:
        if nginx:
            nginx.stop()
            log = (tmp_path / "nginx" / "access.log").read_text()
            print("--- nginx access log ---\n" + log[-4000:])
        for server in servers:
            server.stop()
            print(f"--- {server.log_path} ---\n{server.log_tail(3000)}")
        database.__exit__(None, None, None)
