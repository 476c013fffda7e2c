"""gunicorn settings for chatapp:

    gunicorn -c deploy/gunicorn.conf.py wsgi:app                      # from a checkout
    gunicorn -c deploy/gunicorn.conf.py 'chatapp.server:load_app()'   # from an installed wheel

One gevent worker per process, as Flask-SocketIO requires: a socket's Engine.IO session lives
in the memory of the process that opened it, and gunicorn's load balancing between workers
would send its next request elsewhere. For more capacity run more processes behind a load
balancer with sticky sessions, on PostgreSQL with a Redis message queue (docs/deployment.md).

The address comes from CHATAPP_HOST and CHATAPP_PORT, as for ``python wsgi.py``. gunicorn sets
TCP_NODELAY on its listening socket and does not use SO_REUSEPORT (``reuse_port`` is off), so a
taken port fails the start.
"""

import os
import sys

bind = f"{os.environ.get('CHATAPP_HOST', '127.0.0.1')}:{os.environ.get('CHATAPP_PORT', '5000')}"
worker_class = "gevent"
workers = 1  # never more: see above
worker_connections = 10_000  # post_worker_init sets it from the open-file limit
reuse_port = False
accesslog = None  # the app writes one line per request itself (LOG_FORMAT), secrets redacted
graceful_timeout = 10


def post_worker_init(worker):
    """Before the worker serves: what ``python wsgi.py`` does (migrate under the lock, forget
    stale sockets, register with a heartbeat, start the revocation sweep, raise the open-file
    limit and size the connection pool to it)."""
    from chatapp import server

    if server.ASYNC_MODE != "gevent":
        sys.exit("chatapp: under gunicorn use the gevent worker; unset CHATAPP_ASYNC_MODE.")
    app = worker.wsgi  # loaded before this hook runs
    server.setup_logging(app)
    server.check_async_mode(app)
    server.prepare(app)
    # Before the worker's run() sizes its connection pool from this.
    worker.worker_connections = server.log_capacity(app)


def worker_exit(server, worker):
    """A clean stop: forget this worker's sockets at once (a killed one is reaped by the
    others' heartbeat check)."""
    from chatapp import server

    server.leave(worker.wsgi)
