"""Configuration: defaults, then environment variables, then ``instance/config.py``.

Every setting can be given as an environment variable named ``CHATAPP_<NAME>``; values are
parsed as the type of the default. ``instance/config.py`` (plain ``NAME = value`` lines) is read
after the environment and wins over it, and a ``config`` mapping passed to ``create_app`` wins
over both (tests use that).
"""

import contextlib
import json
import os
import re
import secrets
import tempfile
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

ENV_PREFIX = "CHATAPP_"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)

MiB = 1024 * 1024


class Defaults:
    """Values used when neither the environment nor the instance folder says otherwise."""

    # Where `chatapp serve` (python wsgi.py) listens. Under gunicorn, its bind setting decides.
    HOST = "127.0.0.1"
    PORT = 5000

    # Filled in by load_config from the instance folder when left empty.
    SECRET_KEY = ""
    SQLALCHEMY_DATABASE_URI = ""  # default: sqlite file chatapp.db in the instance folder
    UPLOAD_FOLDER = ""  # default: uploads/ in the instance folder

    # Size limits. MAX_CONTENT_LENGTH bounds every request body; AVATAR_MAX_BYTES the avatar file.
    MAX_CONTENT_LENGTH = 26 * MiB
    UPLOAD_MAX_BYTES = 25 * MiB  # one file sent in a chat
    THUMBNAIL_SIZE = 320  # longest side of an image's thumbnail, in pixels
    AVATAR_MAX_BYTES = 5 * MiB
    AVATAR_SIZE = 256  # avatars are stored as square PNGs of this many pixels
    IMAGE_MAX_PIXELS = 40_000_000  # refuse larger images before decoding (decompression bombs)

    # Socket.IO: origins allowed to open a socket. Empty means same origin only.
    SOCKETIO_ALLOWED_ORIGINS: list[str] = []
    # A Redis URL here makes several server processes share Socket.IO rooms.
    SOCKETIO_MESSAGE_QUEUE = ""
    # The message queue's channel: installations sharing one Redis need one channel each.
    SOCKETIO_CHANNEL = "flask-socketio"

    SQLITE_BUSY_TIMEOUT_MS = 10_000

    # Messages: how long a sender may recall one; how often "typing" is passed on per socket.
    RECALL_WINDOW_SECONDS = 120
    # How long after sending a sender may edit their text message.
    EDIT_WINDOW_SECONDS = 15 * 60
    TYPING_THROTTLE_SECONDS = 2
    # Largest Socket.IO message accepted (bytes); bigger ones close the connection.
    SOCKETIO_MAX_PAYLOAD = 64 * 1024
    # permessage-deflate on WebSocket frames. Off: for chat-sized frames it cost about 90 KB
    # of memory per open socket and a sixth of the server's CPU for little saved bandwidth
    # (docs/architecture.md, "Transport"). Turn on for slow links where bytes matter more.
    SOCKETIO_WEBSOCKET_COMPRESSION = False

    # Passwords: werkzeug's scrypt. Tests lower the cost; production keeps werkzeug's default.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (an algorithm name)
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a reset link stays valid
    # The first account registered on a server that has none becomes its site administrator.
    FIRST_USER_ADMIN = True

    # Email (optional): with MAIL_SERVER set, "forgot password" mails a reset link. Links in
    # mails start with PUBLIC_URL, never with the request's Host header, which a client chooses.
    PUBLIC_URL = ""  # the address people open, e.g. https://chat.example.com
    MAIL_SERVER = ""  # SMTP host; empty: no mail
    MAIL_PORT = 587
    MAIL_SECURITY = "starttls"  # starttls, ssl (implicit TLS, port 465) or none
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""  # noqa: S105 (empty: no log-in)
    MAIL_FROM = ""  # default: chatapp@<PUBLIC_URL's host>
    MAIL_TIMEOUT = 10.0  # seconds for each step of the SMTP conversation

    # Log-in attempts per client address (Flask-Limiter syntax); storage "memory://" or a Redis URL.
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_RATE_LIMIT = "10 per minute;100 per hour"
    REGISTER_RATE_LIMIT = "10 per hour"
    # "Forgot password" requests per client address; reset mails per account (beyond it, no
    # mail goes out, and the answer stays the same).
    RESET_MAIL_RATE_LIMIT = "5 per 10 minutes;20 per day"
    RESET_MAIL_ACCOUNT_RATE_LIMIT = "3 per hour;10 per day"
    RATELIMIT_ENABLED = True
    # Per user, over HTTP and Socket.IO together (docs/security.md): messages sent (files
    # included), files uploaded, friend requests sent, searches run.
    SEND_RATE_LIMIT = "30 per 10 seconds;1200 per hour"  # edits count as sends
    REACT_RATE_LIMIT = "60 per 10 seconds;2400 per hour"
    UPLOAD_RATE_LIMIT = "30 per minute;300 per hour"
    FRIEND_REQUEST_RATE_LIMIT = "20 per hour;100 per day"
    SEARCH_RATE_LIMIT = "60 per minute;1000 per hour"
    # Downloads of one's own data (GET /api/me/export): each writes a zip of the whole history.
    EXPORT_RATE_LIMIT = "5 per hour"

    # How often a serving process looks for sockets whose session ended without it hearing
    # (an account disabled from the command line); seconds.
    SESSION_SWEEP_SECONDS = 0.5

    # Each serving process writes a heartbeat this often (seconds); one silent for
    # PROCESS_TIMEOUT_SECONDS is taken for dead and its sockets are forgotten (its users go
    # offline). Keep the timeout well above the heartbeat.
    PROCESS_HEARTBEAT_SECONDS = 5.0
    PROCESS_TIMEOUT_SECONDS = 30.0

    # Bring the database to the newest schema when the server starts.
    AUTO_MIGRATE = True

    # Logs on standard error: "text" (time LEVEL logger: message) or "json" (an object a line).
    LOG_FORMAT = "text"
    # Prometheus metrics at /metrics. With a token, scrapers send "Authorization: Bearer
    # <token>"; without one, only requests made on this machine are answered (404 for others).
    METRICS_TOKEN = ""  # noqa: S105 (empty: no token)
    # Before migrating a database that has data, back it up (chatapp backup) into
    # BACKUP_FOLDER (default: backups/ in the instance folder); a failed backup stops the start.
    BACKUP_BEFORE_MIGRATE = True
    BACKUP_FOLDER = ""

    # How many reverse proxies stand in front of the app (nginx: 1). Their X-Forwarded-For,
    # -Proto and -Host headers are then trusted, so rate limits count real client addresses
    # and links use the public scheme and host. 0 trusts none (direct connections).
    TRUSTED_PROXIES = 0

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set CHATAPP_SESSION_COOKIE_SECURE=1 behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=30)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # The database connection pool: connections kept open, and how many more may open under
    # load. For a database server also: reconnect connections older than DB_POOL_RECYCLE
    # seconds, and test each one before use (DB_POOL_PRE_PING) so a restarted server costs no
    # failed request. Keys set in SQLALCHEMY_ENGINE_OPTIONS win.
    DB_POOL_SIZE = 10
    DB_MAX_OVERFLOW = 20
    DB_POOL_RECYCLE = 1800
    DB_POOL_PRE_PING = True
    SQLALCHEMY_RECORD_QUERIES = False


SERVE_HELP = ("Serve chatapp (HTTP and Socket.IO on gevent): migrate the database unless "
              "AUTO_MIGRATE is off, then serve until SIGTERM or Ctrl-C.")


class ConfigError(Exception):
    """The configuration cannot work; the message says what to change or install."""


# What installs the driver of a database URL, by the driver's module.
DRIVER_INSTALLS = {
    "psycopg": "pip install 'chatapp[postgres]'",
    "psycopg2": "pip install psycopg2-binary, or use postgresql+psycopg:// with "
                "pip install 'chatapp[postgres]'",
}


def check_driver(uri: str) -> None:
    """Raise ConfigError, saying what to install, when the database's driver is missing."""
    url = make_url(uri)
    try:
        url.get_dialect().import_dbapi()
    except ModuleNotFoundError as error:
        install = DRIVER_INSTALLS.get(error.name, f"pip install {error.name}")
        raise ConfigError(f"The {url.get_backend_name()} database needs the {error.name} "
                          f"driver, which is not installed: {install}") from None


def pool_options(config) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with the DB_POOL_* settings filled in for this engine."""
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return options  # one shared in-memory connection: no pool to size
        defaults = {"pool_size": config["DB_POOL_SIZE"], "max_overflow": config["DB_MAX_OVERFLOW"]}
    else:
        defaults = {"pool_size": config["DB_POOL_SIZE"], "max_overflow": config["DB_MAX_OVERFLOW"],
                    "pool_recycle": config["DB_POOL_RECYCLE"],
                    "pool_pre_ping": config["DB_POOL_PRE_PING"]}
    return defaults | options


MAIL_SECURITY_CHOICES = ("starttls", "ssl", "none")


def check_mail(config) -> None:
    """Raise ConfigError when mail is on but cannot make working links or connections."""
    if not config["MAIL_SERVER"]:
        return
    if config["MAIL_SECURITY"] not in MAIL_SECURITY_CHOICES:
        raise ConfigError(f"MAIL_SECURITY={config['MAIL_SECURITY']!r} is not one of "
                          f"{', '.join(MAIL_SECURITY_CHOICES)}.")
    url = urlsplit(config["PUBLIC_URL"])
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError("MAIL_SERVER is set, so PUBLIC_URL must be the address people open "
                          f"(https://chat.example.com), not {config['PUBLIC_URL']!r}: reset "
                          "links in mails start with it.")


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
# Byte sizes may carry a binary suffix: 26m, 26MB, 26MiB, 512k.
_SIZE_RE = re.compile(r"^\s*(\d[\d_]*)\s*(?:([kmg])(?:i?b)?)?\s*$", re.IGNORECASE)
_SIZE_FACTORS = {None: 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_SIZE_SETTINGS = ("BYTES", "LENGTH", "PAYLOAD")


def _parse(name: str, raw: str, default):
    """Parse the environment string of setting ``name`` as the type of its ``default``; a
    value that does not fit is a ``ConfigError`` naming the variable, never a silent default."""

    def refuse(expected: str):
        return ConfigError(f"{ENV_PREFIX}{name}={raw!r} is not {expected}.")

    if isinstance(default, bool):
        word = raw.strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise refuse("a yes/no value (1, true, yes, on or 0, false, no, off)")
    if isinstance(default, int):
        if any(part in name for part in _SIZE_SETTINGS):
            match = _SIZE_RE.match(raw)
            if not match:
                raise refuse("a size in bytes (e.g. 26214400, 25m, 512k)")
            return int(match[1]) * _SIZE_FACTORS[match[2] and match[2].lower()]
        try:
            return int(raw)
        except ValueError:
            raise refuse("a whole number") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise refuse("a number") from None
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(default, dict):
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise refuse('a JSON object (e.g. {"pool_size": 5})')
        return value
    if isinstance(default, timedelta):
        try:
            return timedelta(seconds=int(raw))
        except ValueError:
            raise refuse("a number of seconds") from None
    return raw


def _from_environment(environ) -> dict:
    values = {}
    for name in dir(Defaults):
        if name.isupper() and ENV_PREFIX + name in environ:
            values[name] = _parse(name, environ[ENV_PREFIX + name], getattr(Defaults, name))
    # The common spellings for a database location.
    for name in (ENV_PREFIX + "DATABASE_URL", "DATABASE_URL"):
        if name in environ and "SQLALCHEMY_DATABASE_URI" not in values:
            values["SQLALCHEMY_DATABASE_URI"] = environ[name]
    return values


def _secret_key(instance_path: str) -> str:
    """Read the instance's secret key, generating it once (owner-readable only)."""
    path = os.path.join(instance_path, SECRET_KEY_FILE)
    if not os.path.exists(path):
        # Write the whole key to a private temporary file, then link it into place: a process
        # starting at the same moment either wins the link or reads the winner's full key.
        fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret-")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    with open(path, encoding="ascii") as fh:
        return fh.read().strip()


def load_config(app, config=None, environ=None):
    """Fill ``app.config`` from defaults, the environment, the instance folder and ``config``."""
    environ = os.environ if environ is None else environ
    app.config.from_object(Defaults)
    app.config.update(_from_environment(environ))
    app.config.from_pyfile("config.py", silent=True)
    if config:
        app.config.update(config)

    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        db_path = os.path.join(app.instance_path, "chatapp.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    check_driver(app.config["SQLALCHEMY_DATABASE_URI"])
    check_mail(app.config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = pool_options(app.config)
    if not app.config["UPLOAD_FOLDER"]:
        app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "uploads")
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
