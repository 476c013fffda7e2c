"""A backup taken from a running server while people send: every message acknowledged before
``chatapp backup`` started is in the restored copy, the restored server passes its checks,
finds messages, serves the files, and keeps sessions (the secret key came along)."""

import os
import subprocess
import sys
import threading
import time

import pytest
import socketio

from tests.helpers import PASSWORD, image_bytes, require
from tests.live_server import (
    TEST_ENV,
    HttpApi,
    LiveServer,
    PostgresUnavailable,
    postgres_database,
)

pytestmark = pytest.mark.server


def chatapp_command(instance, database_url, *args):
    env = {**os.environ, **TEST_ENV, "CHATAPP_INSTANCE_PATH": str(instance)}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["CHATAPP_DATABASE_URL"] = database_url
    result = subprocess.run([sys.executable, "-m", "chatapp", *args], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class Sender(threading.Thread):
    """Alice sends over her socket, one message after another, noting each acknowledged one."""

    def __init__(self, sock, chat_id):
        super().__init__(daemon=True)
        self.sock, self.chat_id = sock, chat_id
        self.acked = []
        self.stop = threading.Event()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            ack = self.sock.call("send_message", {"chat_id": self.chat_id,
                                                  "text": f"zebra crossing {n}",
                                                  "client_msg_id": f"live-{n}"}, timeout=30)
            assert ack["ok"], ack
            self.acked.append(f"live-{n}")


def history(api, chat_id):
    seen, after = [], 0
    while True:
        page = api.get(f"/api/chats/{chat_id}/messages?after={after}&limit=100").json()
        if not page["messages"]:
            return seen
        seen += page["messages"]
        after = page["messages"][-1]["seq"]


def backup_under_live_sends(tmp_path, source_url=None, target_url=None):
    env = {"CHATAPP_DATABASE_URL": source_url} if source_url else {}
    source = LiveServer(tmp_path / "a", log_path=tmp_path / "a.log", env=env).start()
    try:
        api = HttpApi(source.url)
        alice = api.register("alice", PASSWORD)
        chat_id = api.post("/api/chats", json={"chat_name": "Live"}).json()["chat"]["chat_id"]
        image = image_bytes("PNG", (300, 200))
        uploaded = api.post(f"/api/chats/{chat_id}/files",
                            files={"file": ("plan.png", image)}, data={"client_msg_id": "f"})
        assert uploaded.status_code == 201, uploaded.text
        sock = socketio.Client(reconnection=False)
        sock.connect(source.url, headers={"Cookie": api.cookie_header()},
                     transports=["websocket"], wait_timeout=5)
        sender = Sender(sock, chat_id)
        sender.start()
        try:
            time.sleep(1.0)
            acked_before = list(sender.acked)  # acknowledged before the backup started
            chatapp_command(tmp_path / "a", source_url, "backup", str(tmp_path / "backup"))
            time.sleep(0.3)
        finally:
            sender.stop.set()
            sender.join(timeout=30)
            sock.disconnect()
        assert len(acked_before) > 5 and len(sender.acked) > len(acked_before)
        cookie = api.cookie_header()
    finally:
        source.stop()

    out = chatapp_command(tmp_path / "b", target_url, "restore", str(tmp_path / "backup"))
    assert "Integrity check: ok" in out and "Search index: in step" in out, out
    env = {"CHATAPP_DATABASE_URL": target_url} if target_url else {}
    with LiveServer(tmp_path / "b", log_path=tmp_path / "b.log", env=env) as restored:
        again = HttpApi(restored.url)
        again.http.headers["Cookie"] = cookie  # the session of the first server still works
        assert again.get("/api/me").json()["user"]["user_id"] == alice.user_id
        messages = history(again, chat_id)
        ids = {m["client_msg_id"] for m in messages}
        assert set(acked_before) <= ids
        assert len(ids) == len(messages)  # nothing doubled
        found = again.get("/api/search?q=zebra").json()["results"]
        assert found and all("zebra" in hit["message"]["msg_text"] for hit in found)
        (file_message,) = [m for m in messages if m["client_msg_id"] == "f"]
        assert again.get(file_message["file"]["url"]).content == image
        assert again.get(file_message["file"]["thumbnail_url"]).status_code == 200


@pytest.mark.sqlite_only
def test_sqlite_backup_under_live_sends_restores_everything_acknowledged(tmp_path):
    backup_under_live_sends(tmp_path)


@pytest.mark.postgres
def test_postgres_backup_under_live_sends_restores_everything_acknowledged(tmp_path):
    try:
        with postgres_database("chatapp_bk") as source, postgres_database("chatapp_rs") as target:
            backup_under_live_sends(tmp_path, source, target)
    except PostgresUnavailable as error:
        require(False, str(error))
