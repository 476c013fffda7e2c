"""A wheel is a complete install: built from the checkout, installed into a virtual
environment of its own and run from another folder, it migrates, administers and serves with
nothing from the checkout (no ``migrations/``, no ``wsgi.py``, no vendored files)."""

import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest
import requests

from tests.helpers import PASSWORD
from tests.live_server import REPO_ROOT, TEST_ENV, HttpApi, LiveServer, Person

pytestmark = [pytest.mark.server, pytest.mark.sqlite_only]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel ``make wheel`` builds (the vendored client and catalogs already built)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out),
                    str(REPO_ROOT)], check=True, cwd=out, timeout=300)
    (built,) = out.glob("chatapp-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A virtual environment holding only the wheel; its dependencies come from this test
    environment's site-packages (a plain path, so the editable checkout is not on it)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with open(os.path.join(site, "deps.pth"), "w") as pth:
        pth.write(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "--quiet", "--no-deps", str(wheel)], check=True,
                   timeout=300)
    return venv


def run_chatapp(venv, cwd, env, *args):
    return subprocess.run([str(venv / "bin" / "chatapp"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_wheel_holds_migrations_templates_static_files_and_catalogs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"chatapp/migrations/env.py", "chatapp/migrations/alembic.ini",
            "chatapp/migrations/script.py.mako",
            "chatapp/migrations/versions/0001_initial_schema.py",
            "chatapp/templates/base.html", "chatapp/static/js/chat/conversation.js",
            "chatapp/static/vendor/socket.io.min.js",
            "chatapp/translations/zh/LC_MESSAGES/messages.mo"} <= names
    revisions = {name for name in names if name.startswith("chatapp/migrations/versions/")}
    assert len(revisions) == len(list((REPO_ROOT / "migrations" / "versions").glob("*.py")))


def test_an_installed_wheel_migrates_administers_and_serves(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing of it can be found from here
    elsewhere.mkdir()
    instance = tmp_path / "instance"
    env = {**os.environ, **TEST_ENV, "CHATAPP_INSTANCE_PATH": str(instance)}
    env.pop("PYTHONPATH", None)

    upgrade = run_chatapp(installed, elsewhere, env, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    where = subprocess.run([str(installed / "bin" / "python"), "-c",
                            "import chatapp; print(chatapp.MIGRATIONS_DIR)"], cwd=elsewhere,
                           capture_output=True, text=True, env=env, check=True).stdout
    assert where.startswith(str(installed)), where

    created = run_chatapp(installed, elsewhere, env, "users", "create", "alice",
                          "--password", PASSWORD)
    assert created.returncode == 0, created.stderr
    assert "Created user alice" in created.stdout
    alice_id = int(created.stdout.split("(id ")[1].split(")")[0])

    server = LiveServer(instance, log_path=tmp_path / "server.log", cwd=elsewhere,
                        command=[str(installed / "bin" / "chatapp"), "serve"])
    with server:
        api = HttpApi(server.url)
        api.login(Person(alice_id, "alice", PASSWORD))
        chat = api.post("/api/chats", json={"chat_name": "wheel"})
        assert chat.status_code == 201, chat.text
        client = requests.get(server.url + "/static/vendor/socket.io.min.js", timeout=5)
        assert client.status_code == 200 and b"io" in client.content
        page = requests.get(server.url + "/login", headers={"Accept-Language": "zh-CN"},
                            timeout=5)
        assert "登录" in page.text
        assert "with gevent" in server.log_tail()
        # What the operator does next, with the installed command alone (docs/deployment.md).
        metrics = requests.get(server.url + "/metrics", timeout=5)
        assert metrics.status_code == 200
        assert "chatapp_http_request_duration_seconds" in metrics.text
        for args in (["backup", str(tmp_path / "backup")], ["export", str(tmp_path / "all.zip")]):
            done = run_chatapp(installed, elsewhere, env, *args)
            assert done.returncode == 0, done.stderr
        assert (tmp_path / "backup" / "manifest.json").is_file()
        assert (tmp_path / "all.zip").is_file()


def test_the_shipped_systemd_unit_is_valid_and_starts_the_installed_command(installed, tmp_path):
    import shutil

    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (package systemd) checks the unit"
    unit = (REPO_ROOT / "deploy" / "chatapp.service").read_text()
    assert "ExecStart=/opt/chatapp/bin/chatapp serve" in unit
    local = tmp_path / "chatapp.service"
    local.write_text(unit.replace("/opt/chatapp", str(installed)))
    result = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True,
                            timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "chatapp.service" in line]
    assert problems == [], problems
