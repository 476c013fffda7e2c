"""Per-user rate limits on what one account can do in bulk: send, upload, befriend, search.

Log-in and registration are limited per client address by Flask-Limiter's route decorators.
The actions here are limited per *user*, in the services, so HTTP and Socket.IO spend from the
same bucket. The counters live in Flask-Limiter's storage (``RATELIMIT_STORAGE_URI``): memory
for one process, Redis so that several processes share them. Each action's limits come from
the config (``SEND_RATE_LIMIT`` and so on, Flask-Limiter syntax such as
``"20 per 10 seconds;600 per hour"``), read at call time.
"""

from __future__ import annotations

import functools
import math
import time

from flask import current_app
from limits import parse_many

from .errors import RateLimited
from .extensions import limiter

# Action name → the config key holding its limits.
ACTIONS = {
    "send": "SEND_RATE_LIMIT",
    "react": "REACT_RATE_LIMIT",
    "upload": "UPLOAD_RATE_LIMIT",
    "friend_request": "FRIEND_REQUEST_RATE_LIMIT",
    "search": "SEARCH_RATE_LIMIT",
    "export": "EXPORT_RATE_LIMIT",
    "reset_mail": "RESET_MAIL_ACCOUNT_RATE_LIMIT",  # mails received, counted per recipient
}


@functools.lru_cache(maxsize=64)
def _parsed(spec: str) -> tuple:
    """The limits of a setting's value, parsed once per distinct value."""
    return tuple(parse_many(spec))


def _checks(user_id: int, actions) -> list:
    return [(item, ("user", action, str(user_id)))
            for action in actions
            for item in _parsed(current_app.config[ACTIONS[action]])]


def _refusal(strategy, full) -> RateLimited:
    now = time.time()
    wait = max(strategy.get_window_stats(item, *keys).reset_time - now for item, keys in full)
    return RateLimited(details={"retry_after": max(1, math.ceil(wait))})


def refusal(user_id: int, *actions: str) -> RateLimited | None:
    """The ``RateLimited`` error one more of ``actions`` would meet now, or None; counts nothing."""
    if not current_app.config["RATELIMIT_ENABLED"] or not actions:
        return None
    strategy = limiter.limiter
    full = [(item, keys) for item, keys in _checks(user_id, actions)
            if not strategy.test(item, *keys)]
    return _refusal(strategy, full) if full else None


def spend(user_id: int, *actions: str) -> None:
    """Count one of each of ``actions`` for ``user_id``, or raise ``RateLimited`` (429).

    A limit already used up refuses without counting anything. Each count is the storage's
    atomic hit, so concurrent requests of one user cannot overshoot a limit together.
    Call it before a write transaction, never inside one: the storage may yield to other
    green threads (the memory storage starts a timer thread), and one of them waiting for
    SQLite's write lock would then stall the whole process until the busy timeout.
    """
    error = refusal(user_id, *actions)
    if error is not None:
        raise error
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    strategy = limiter.limiter
    full = [(item, keys) for item, keys in _checks(user_id, actions)
            if not strategy.hit(item, *keys)]
    if full:
        raise _refusal(strategy, full)
