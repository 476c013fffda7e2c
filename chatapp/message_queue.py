"""The Socket.IO message queue (Redis) between server processes, and what happens when it fails.

While the queue is down, sends are still stored (the database is the truth), but live events
cannot travel: python-socketio publishes every emit through the queue, even to this process's
own sockets, and gives up on those it cannot publish. So the manager here keeps track of its
subscription: ``/readyz`` reports the queue as down meanwhile, and when the subscription is
back every socket of this process is told ``catch_up_needed``, upon which clients fetch what
they missed from their last contiguous position (the ``catch_up`` event), exactly once.

python-socketio's own manager retries its subscription with a back-off growing to 60 s (about
9 s of silence after a short outage); this one retries at least every ``RETRY_MAX`` seconds.
"""

from __future__ import annotations

import logging
import time

import socketio

from .config import ConfigError

log = logging.getLogger(__name__)


class WatchedRedisManager(socketio.RedisManager):
    """python-socketio's Redis manager, knowing whether its subscription is live, and calling
    ``on_resubscribed`` each time it is live again after an outage."""

    RETRY_MIN = 0.25
    RETRY_MAX = 2.0

    def __init__(self, *args, on_resubscribed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.listening = False
        self.on_resubscribed = on_resubscribed

    def _redis_listen_with_retries(self):  # pragma: no cover - python-socketio's, with hooks
        retry_sleep = self.RETRY_MIN
        subscribed_before = False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                self.listening = True
                retry_sleep = self.RETRY_MIN
                if subscribed_before:
                    log.warning("message queue back: telling this process's sockets to catch up")
                    if self.on_resubscribed is not None:
                        self.server.start_background_task(self.on_resubscribed)
                subscribed_before = True
                yield from self.pubsub.listen()
            except Exception as error:  # noqa: BLE001 - any failure: the queue is unreachable
                if self.listening:
                    log.error("message queue lost (%s): live events wait until it is back",
                              error)
                self.listening = False
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, self.RETRY_MAX)


def queue_manager(app, socketio_ext) -> WatchedRedisManager | None:
    """The manager for ``SOCKETIO_MESSAGE_QUEUE``, or None when there is no queue."""
    url = app.config["SOCKETIO_MESSAGE_QUEUE"]
    if not url:
        return None
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"SOCKETIO_MESSAGE_QUEUE must be a Redis URL (redis://...), not {url!r}")

    def tell_everyone_here_to_catch_up():
        # Only this process's sockets: each process tells its own, as each lost its events.
        socketio_ext.emit("catch_up_needed", {}, namespace="/", ignore_queue=True)

    return WatchedRedisManager(url, channel=app.config["SOCKETIO_CHANNEL"],
                               on_resubscribed=tell_everyone_here_to_catch_up)


def queue_state(socketio_ext) -> str:
    """"ok", "down", or "none" when no queue is configured."""
    manager = socketio_ext.server.manager if socketio_ext.server else None
    if not isinstance(manager, WatchedRedisManager):
        return "none"
    return "ok" if manager.listening else "down"


def start_listening(socketio_ext) -> None:
    """Subscribe to the queue now, on a serving process: python-socketio would wait for the
    first connection, and until then ``/readyz`` would say the queue is down."""
    server = socketio_ext.server
    if isinstance(server.manager, WatchedRedisManager) and not server.manager_initialized:
        server.manager_initialized = True
        server.manager.initialize()
