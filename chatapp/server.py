"""Serving chatapp: ``chatapp serve`` (and ``python wsgi.py`` in a checkout) on gevent.

``CHATAPP_ASYNC_MODE=eventlet`` serves on eventlet instead: an opt-in for one process on
SQLite, refused on any other database (docs/architecture.md says why). The mode is read from
the environment only: monkey patching must come before anything else is imported, so that every
socket, lock and thread the app and its libraries create is cooperative, and so before the
app's configuration can be read: importing this module patches the process, so import it
first (``chatapp.cli`` does, for ``serve`` only). Patching stays confined to this module: tests
and the other commands run unpatched.

Under gunicorn (``gunicorn -c deploy/gunicorn.conf.py wsgi:app``) the gevent worker has patched
the process already, and the configuration's hook runs ``prepare``.
"""

import os
import sys

ASYNC_MODES = ("gevent", "eventlet")
ASYNC_MODE = os.environ.get("CHATAPP_ASYNC_MODE", "gevent").strip().lower() or "gevent"

if ASYNC_MODE == "gevent":
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        monkey.patch_all()
elif ASYNC_MODE == "eventlet":
    try:
        import eventlet
    except ImportError:
        sys.exit("chatapp: CHATAPP_ASYNC_MODE=eventlet needs eventlet: pip install "
                 "'chatapp[eventlet]'")
    eventlet.monkey_patch()
else:
    sys.exit(f"chatapp: CHATAPP_ASYNC_MODE is {ASYNC_MODE!r}; use gevent (the default) or "
             "eventlet.")

import errno  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402

import click  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from chatapp import create_app, observability  # noqa: E402
from chatapp.config import SERVE_HELP, ConfigError  # noqa: E402
from chatapp.database import upgrade_database  # noqa: E402
from chatapp.extensions import socketio  # noqa: E402
from chatapp.message_queue import start_listening  # noqa: E402
from chatapp.services.connections import (  # noqa: E402
    forget_all_sockets,
    leave_process,
    start_heartbeat,
    start_memory_trim,
    start_revocation_sweep,
)


def load_app():
    """The app from the configuration, or exit with the one line that says what is wrong."""
    try:
        return create_app()
    except ConfigError as error:
        sys.exit(f"chatapp: {error}")


def setup_logging(app) -> None:
    """INFO and up to standard error, one line each, in the app's LOG_FORMAT (text or json)."""
    observability.setup_logging(app)


def check_async_mode(app) -> None:
    """eventlet serves one SQLite process only: psycopg does not cooperate with eventlet, so
    every wait on PostgreSQL would freeze every socket of the process."""
    backend = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if ASYNC_MODE == "eventlet" and backend != "sqlite":
        sys.exit(f"chatapp: CHATAPP_ASYNC_MODE=eventlet serves SQLite only, and this database "
                 f"is {backend}: its driver does not cooperate with eventlet, so every database "
                 "wait would stall the whole process. Use the default, gevent.")


def prepare(app) -> None:
    """What a serving process does before it serves: migrate (under a lock, so processes
    starting together agree), forget stale sockets, register with a heartbeat (reaping the
    sockets of dead processes), start the revocation sweep and the memory trim."""
    if app.config["AUTO_MIGRATE"]:
        upgrade_database(app)
    if not app.config["SOCKETIO_MESSAGE_QUEUE"]:
        # A lone process starting has no live sockets: rows left by a crash are stale.
        with app.app_context():
            forget_all_sockets()
    start_heartbeat(app)
    start_revocation_sweep(app)
    start_memory_trim(app)
    start_listening(socketio)


def log_capacity(app) -> int:
    """Raise the open-file limit and say how many sockets this process can hold; returns it."""
    open_files = raise_open_file_limit()
    capacity = socket_capacity(open_files)
    app.logger.info("open-file limit %d: room for about %d open sockets", open_files, capacity)
    return capacity


def leave(app) -> None:
    """On a clean shutdown: this process's sockets are gone, so its users may be offline."""
    with app.app_context():
        try:
            leave_process()
        except Exception as error:  # noqa: BLE001 - the heartbeat timeout reaps them anyway
            app.logger.warning("could not forget this process's sockets: %s", error)


# File descriptors kept aside from sockets: the listener, database connections, log files.
RESERVED_FILES = 100


def raise_open_file_limit() -> int:
    """Raise this process's open-file limit (soft) to its hard limit, and return it.

    Every open socket costs file descriptors, and a soft limit of 1,024 (a common default)
    would refuse connections long before memory runs out. The hard limit is the operator's:
    raise it with systemd's LimitNOFILE or /etc/security/limits.conf.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard
    if hard == resource.RLIM_INFINITY:
        with open("/proc/sys/fs/nr_open") as nr_open:  # the kernel's per-process ceiling
            target = int(nr_open.read())
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def socket_capacity(open_files: int) -> int:
    """How many clients ``open_files`` descriptors hold: a WebSocket on gevent takes two
    (simple-websocket keeps a duplicate of the connection), on eventlet one."""
    per_socket = 2 if ASYNC_MODE == "gevent" else 1
    return max(1, (open_files - RESERVED_FILES) // per_socket)


def open_listener(host: str, port: int) -> socket.socket:
    """The listening socket, or exit with a clear message when the address is taken.

    Never SO_REUSEPORT: a second server on a taken port must fail, not quietly share the
    traffic. SO_REUSEADDR only lets a restart bind while old connections linger in TIME_WAIT.
    TCP_NODELAY: chat frames are small, and without it Nagle's algorithm with delayed
    acknowledgements holds each one back ~40 ms. Accepted sockets inherit the option.
    """
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            sys.exit(f"chatapp: {host}:{port} is already in use (another server?). Stop it, or "
                     "set CHATAPP_PORT to a free port.")
        sys.exit(f"chatapp: cannot listen on {host}:{port}: {error.strerror}")
    listener.listen(4096)  # the kernel caps it at net.core.somaxconn
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener


def serve(app, listener: socket.socket, capacity: int) -> None:
    """Serve until SIGTERM or SIGINT; neither server sends tracebacks to clients. Then forget
    this process's sockets (its users go offline now, not at the heartbeat timeout)."""
    try:
        if ASYNC_MODE == "gevent":
            import gevent
            from gevent.pywsgi import WSGIServer

            # log=None: no access log of the server's; the app writes one line per request.
            server = WSGIServer(listener, app, log=None)
            for signum in (signal.SIGTERM, signal.SIGINT):
                gevent.signal_handler(signum, server.stop, 2)
            server.serve_forever()
        else:
            import eventlet.wsgi

            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            # eventlet's default max_size (1,024 connections) would be a hidden cap.
            # No access log of the server's either; the app writes one line per request.
            eventlet.wsgi.server(listener, app, log_output=False, debug=False,
                                 max_size=capacity)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        leave(app)


def main(app=None, host: str | None = None, port: int | None = None) -> None:
    """Check the mode, bind the port, migrate, then serve until stopped. The address is the
    configuration's HOST and PORT (environment or instance/config.py) unless given."""
    app = app or load_app()
    setup_logging(app)
    check_async_mode(app)
    host = host or app.config["HOST"]
    port = port or app.config["PORT"]
    listener = open_listener(host, port)  # first: a taken port stops us before any migration
    prepare(app)
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
        hide_password=True)
    app.logger.info("chatapp serving on http://%s:%s with %s (database %s)", host, port,
                    ASYNC_MODE, database)
    serve(app, listener, log_capacity(app))


def serve_command() -> click.Command:
    """``chatapp serve``: its options, then ``main``."""

    @click.command(name="serve", help=SERVE_HELP)
    @click.option("--host", default=None, help="Address to listen on (default: HOST setting).")
    @click.option("--port", type=click.IntRange(1, 65535), default=None,
                  help="Port to listen on (default: PORT setting).")
    def serve(host, port):
        main(host=host, port=port)

    return serve
