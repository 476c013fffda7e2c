"""chatapp: a self-hosted real-time team chat."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing the package stays light: chatapp.server patches before Flask loads
    from flask import Flask


def _migrations_dir() -> str:
    """The Alembic revisions: packaged inside chatapp in a wheel, beside it in a checkout."""
    package = os.path.dirname(__file__)
    inside = os.path.join(package, "migrations")
    return inside if os.path.isdir(inside) else os.path.join(os.path.dirname(package), "migrations")


MIGRATIONS_DIR = _migrations_dir()


def create_app(config=None) -> Flask:
    """Build the application: configuration, then each named registration step."""
    from flask import Flask

    from .config import load_config
    from .http_input import harden_input
    from .observability import register_observability

    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("CHATAPP_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path or None, instance_relative_config=True)
    load_config(app, config)
    harden_input(app)  # the id converter must exist before any route registers
    register_extensions(app)
    register_blueprints(app)
    register_observability(app)  # /metrics, and a log line and timing for every request
    register_sockets(app)
    register_errorhandlers(app)
    register_commands(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client address, scheme and host from
    their X-Forwarded-* headers; with none configured, those headers count for nothing.

    ProxyFix wraps the outermost WSGI layer (outside Socket.IO's middleware), so the Socket.IO
    origin check sees the same corrected host as the pages.
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _socketio_async_mode(app) -> str:
    # gevent or eventlet only when wsgi.py (or gunicorn's gevent worker) monkey-patched the
    # process; tests and CLI run on threads.
    if app.config.get("SOCKETIO_ASYNC_MODE"):
        return app.config["SOCKETIO_ASYNC_MODE"]
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is not None and gevent_monkey.is_module_patched("socket"):
        return "gevent"
    eventlet = sys.modules.get("eventlet")
    if eventlet is not None and eventlet.patcher.is_monkey_patched("socket"):
        return "eventlet"
    return "threading"


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions of ``extensions.py`` to ``app``."""
    from .auth.session import init_login_manager
    from .database import configure_engine, include_object
    from .extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
    from .i18n import init_babel
    from .message_queue import queue_manager
    from .security import socket_origin_check
    from .socket_wire import WIRE_JSON, guard_socketio_packets

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR", MIGRATIONS_DIR),
                     render_as_batch=True, compare_type=True, include_object=include_object)
    login_manager.init_app(app)
    init_login_manager(login_manager)
    csrf.init_app(app)
    limiter.init_app(app)
    init_babel(app, babel)
    socketio.init_app(
        app,
        async_mode=_socketio_async_mode(app),
        # Always given (None: no queue), so no app inherits an earlier app's manager.
        client_manager=queue_manager(app, socketio),
        cors_allowed_origins=socket_origin_check(app.config["SOCKETIO_ALLOWED_ORIGINS"]),
        max_http_buffer_size=app.config["SOCKETIO_MAX_PAYLOAD"],
        json=WIRE_JSON,
    )
    guard_socketio_packets(socketio.server, app.config["SOCKETIO_WEBSOCKET_COMPRESSION"])


def register_blueprints(app: Flask) -> None:
    """Pages and JSON endpoints, and the headers every response carries."""
    from . import admin, auth, chats, friends, main
    from .files import views as files
    from .search import views as search
    from .security import register_security_headers
    from .templating import register_template_helpers

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(auth.api)
    app.register_blueprint(friends.bp)
    app.register_blueprint(friends.api)
    app.register_blueprint(chats.bp)
    app.register_blueprint(chats.api)
    app.register_blueprint(files.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(admin.bp)
    register_security_headers(app)
    register_template_helpers(app)


def register_sockets(app: Flask) -> None:
    """Socket.IO event handlers."""
    from .extensions import socketio
    from .sockets import register_socket_handlers

    register_socket_handlers(socketio)


def register_errorhandlers(app: Flask) -> None:
    """Domain and HTTP errors, as JSON for the API and pages for people."""
    from .errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    """The ``chatapp`` administration commands (users, search, backup, restore, export,
    import)."""
    from .commands import (
        backup_command,
        export_command,
        import_command,
        restore_command,
        search_commands,
        users,
    )

    app.cli.add_command(users)
    app.cli.add_command(search_commands)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
