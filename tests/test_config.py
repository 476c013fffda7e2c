"""Configuration: defaults, environment, instance/config.py, generated secret key."""

import os
import re
import stat
from pathlib import Path

import pytest

import chatapp
from chatapp import create_app
from chatapp.config import DRIVER_INSTALLS, ConfigError, Defaults, load_config, pool_options


def test_defaults_put_state_in_the_instance_folder(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("CHATAPP_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'chatapp.db'}"
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "inst" / "uploads")
    assert os.path.isdir(app.config["UPLOAD_FOLDER"])
    assert app.config["MAX_CONTENT_LENGTH"] == 26 * 1024 * 1024
    assert app.config["SOCKETIO_ALLOWED_ORIGINS"] == []


def test_secret_key_is_generated_once_and_private(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_environment_then_instance_file_then_explicit_config(tmp_path):
    from flask import Flask

    (tmp_path / "config.py").write_text("AVATAR_SIZE = 128\nLOGIN_RATE_LIMIT = '1 per day'\n")
    environ = {
        "CHATAPP_AVATAR_SIZE": "64",
        "CHATAPP_AVATAR_MAX_BYTES": "1234",
        "CHATAPP_SOCKETIO_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        "CHATAPP_SESSION_COOKIE_SECURE": "true",
        "DATABASE_URL": "postgresql+psycopg://db.example/chat",
        "CHATAPP_SECRET_KEY": "from-env",
    }
    app = Flask("t", instance_path=str(tmp_path), instance_relative_config=True)
    load_config(app, {"LOGIN_RATE_LIMIT": "5 per hour"}, environ=environ)
    assert app.config["AVATAR_MAX_BYTES"] == 1234          # environment over default
    assert app.config["AVATAR_SIZE"] == 128                 # instance/config.py over environment
    assert app.config["LOGIN_RATE_LIMIT"] == "5 per hour"   # explicit config over all
    assert app.config["SOCKETIO_ALLOWED_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db.example/chat"
    assert app.config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_no_module_level_app():
    import chatapp

    assert not any(type(v).__name__ == "Flask" for v in vars(chatapp).values())


def pooled(uri, **settings):
    """SQLALCHEMY_ENGINE_OPTIONS as the config computes them for ``uri``."""
    config = {"SQLALCHEMY_DATABASE_URI": uri, "SQLALCHEMY_ENGINE_OPTIONS": {},
              **{name: getattr(Defaults, name) for name in dir(Defaults) if name.startswith("DB_")},
              **settings}
    return pool_options(config)


def test_the_pool_suits_each_engine_and_explicit_options_win():
    assert pooled("postgresql+psycopg://u@h/d") == {
        "pool_size": 10, "max_overflow": 20, "pool_recycle": 1800, "pool_pre_ping": True}
    assert pooled("sqlite:////tmp/x.db") == {"pool_size": 10, "max_overflow": 20}
    assert pooled("sqlite://") == {}  # in memory: one shared connection, no pool to size
    assert pooled("postgresql+psycopg://u@h/d", DB_POOL_SIZE=3,
                  SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})["pool_pre_ping"] is False
    assert pooled("postgresql+psycopg://u@h/d", DB_POOL_SIZE=3)["pool_size"] == 3


def test_pool_settings_come_from_the_environment(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    load_config(app, environ={"CHATAPP_DB_POOL_SIZE": "4", "CHATAPP_DB_POOL_PRE_PING": "0",
                              "CHATAPP_DATABASE_URL": "postgresql+psycopg://u@h/d"})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 4
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False


def test_a_missing_database_driver_says_what_to_install(tmp_path):
    with pytest.raises(ConfigError, match=r"needs the psycopg2 driver.*pip install"):
        create_app({"INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://u@127.0.0.1/d"})
    assert "chatapp[postgres]" in DRIVER_INSTALLS["psycopg"]


@pytest.mark.parametrize(("name", "raw", "expected"), [
    ("MAX_CONTENT_LENGTH", "26m", 26 * 1024 * 1024),
    ("MAX_CONTENT_LENGTH", "26MiB", 26 * 1024 * 1024),
    ("AVATAR_MAX_BYTES", "512k", 512 * 1024),
    ("SOCKETIO_MAX_PAYLOAD", "65536", 65536),
    ("AVATAR_SIZE", "128", 128),
    ("SESSION_COOKIE_SECURE", "on", True),
    ("SESSION_COOKIE_SECURE", "0", False),
    ("SQLALCHEMY_ENGINE_OPTIONS", '{"pool_size": 3}', {"pool_size": 3}),
])
def test_environment_values_are_parsed_by_type(tmp_path, name, raw, expected):
    from flask import Flask

    app = Flask("t", instance_path=str(tmp_path), instance_relative_config=True)
    load_config(app, environ={f"CHATAPP_{name}": raw, "CHATAPP_SECRET_KEY": "k"})
    value = app.config[name]
    if isinstance(expected, dict):
        assert expected.items() <= value.items()  # the pool defaults join it
    else:
        assert value == expected


@pytest.mark.parametrize(("name", "raw"), [
    ("SESSION_COOKIE_SECURE", "enabled"),   # used to mean false, silently
    ("MAX_CONTENT_LENGTH", "26 megs"),
    ("AVATAR_SIZE", "big"),
    ("SESSION_SWEEP_SECONDS", "soon"),
    ("SQLALCHEMY_ENGINE_OPTIONS", "pool_size=3"),
    ("SQLALCHEMY_ENGINE_OPTIONS", "[1, 2]"),
])
def test_a_value_that_does_not_fit_is_refused_naming_the_variable(tmp_path, name, raw):
    from flask import Flask

    app = Flask("t", instance_path=str(tmp_path), instance_relative_config=True)
    with pytest.raises(ConfigError, match=f"CHATAPP_{name}="):
        load_config(app, environ={f"CHATAPP_{name}": raw, "CHATAPP_SECRET_KEY": "k"})


# --- docs/deployment.md matches the code --------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"
# Settings read by Flask or an extension rather than by chatapp's own code.
READ_BY_LIBRARIES = {
    "SECRET_KEY", "MAX_CONTENT_LENGTH", "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS",
    "SQLALCHEMY_RECORD_QUERIES", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SECURE", "REMEMBER_COOKIE_HTTPONLY",
    "REMEMBER_COOKIE_SAMESITE", "REMEMBER_COOKIE_DURATION", "WTF_CSRF_HEADERS",
    "WTF_CSRF_TIME_LIMIT", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI",
}


def documented_settings() -> set[str]:
    """The first column of every settings table in the deployment guide."""
    section = DOCS.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", section, re.MULTILINE))


def test_every_setting_is_documented_and_every_documented_setting_exists():
    defaults = {name for name in dir(Defaults) if name.isupper()}
    documented = documented_settings()
    assert defaults - documented == set(), "settings missing from docs/deployment.md"
    assert documented - defaults - {"SOCKETIO_ASYNC_MODE", "MIGRATIONS_DIR"} == set(), (
        "docs/deployment.md documents settings the code does not have")


def test_every_documented_setting_is_read_by_the_code():
    source = "\n".join(path.read_text() for path in Path(chatapp.__file__).parent.rglob("*.py")
                       if path.name != "config.py")
    source += (Path(chatapp.__file__).parent / "config.py").read_text().split(
        "class ConfigError", 1)[1]  # config.py's functions, not the Defaults that declare them
    unread = sorted(name for name in documented_settings() - READ_BY_LIBRARIES
                    if f'"{name}"' not in source and f"'{name}'" not in source)
    assert unread == [], "documented but never read"
