"""Production entry point: ``python wsgi.py`` serves chatapp on eventlet.

eventlet's monkey patching must come before anything else is imported, so that every socket,
lock and thread the app and its libraries create is cooperative. It stays confined to this file:
tests and ``flask`` commands run unpatched.
"""

import eventlet

eventlet.monkey_patch()

import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402

import eventlet.wsgi  # noqa: E402

from chatapp import create_app  # noqa: E402
from chatapp.database import upgrade_database  # noqa: E402
from chatapp.services.connections import (  # noqa: E402
    forget_all_sockets,
    start_revocation_sweep,
)

app = create_app()


def main() -> None:
    """Migrate the database to the newest schema, then serve until stopped."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if app.config["AUTO_MIGRATE"]:
        upgrade_database(app)
    if not app.config["SOCKETIO_MESSAGE_QUEUE"]:
        # A lone process starting has no live sockets: rows left by a crash are stale.
        with app.app_context():
            forget_all_sockets()
    host = os.environ.get("CHATAPP_HOST", "127.0.0.1")
    port = int(os.environ.get("CHATAPP_PORT", "5000"))
    app.logger.info("chatapp serving on http://%s:%s (database %s)", host, port,
                    app.config["SQLALCHEMY_DATABASE_URI"])
    start_revocation_sweep(app)
    serve(host, port)


def serve(host: str, port: int) -> None:
    """Serve on eventlet (what ``socketio.run`` does), with TCP_NODELAY on every connection.

    Chat frames are small: without TCP_NODELAY, Nagle's algorithm holds each one back until the
    previous one is acknowledged, and delayed acknowledgements make that ~40 ms per message.
    Accepted sockets inherit the option from the listening socket.
    """
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listener = eventlet.listen(address, family)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    eventlet.wsgi.server(listener, app, log_output=True, debug=False)  # no tracebacks to clients


if __name__ == "__main__":
    main()
