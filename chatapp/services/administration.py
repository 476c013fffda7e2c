"""What site administrators see: the list of accounts and the server's figures.

Actions on accounts (disable, enable, reset link, delete) are the services of ``accounts``
and ``account_deletion``; the admin pages and the ``chatapp users`` commands both call them.
"""

import os
import time

from flask import current_app
from sqlalchemy import func, or_, select, text

from ..extensions import db
from ..models import Chat, Message, MsgType, ServerProcess, User, UserSocket

USERS_PAGE = 50


def list_users(query: str = "", page: int = 1) -> tuple[list[User], bool]:
    """Accounts (not deleted ones) whose name starts with ``query`` or whose email contains it,
    by name; one page, and whether there are more."""
    stmt = select(User).where(User.deleted_at.is_(None))
    query = (query or "").strip()
    if query:
        key = query.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(or_(User.user_name_key.like(f"{key}%", escape="\\"),
                              func.lower(User.user_email).like(f"%{key}%", escape="\\")))
    page = max(1, page)
    rows = list(db.session.scalars(stmt.order_by(User.user_name_key)
                                   .offset((page - 1) * USERS_PAGE).limit(USERS_PAGE + 1)))
    return rows[:USERS_PAGE], len(rows) > USERS_PAGE


def user_by_id(user_id: int) -> User | None:
    """An account that is not deleted, or None."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.deleted_at is None else None


def server_figures() -> dict:
    """Counts of accounts, chats, messages, files and live sockets, and the database's size."""
    day_ago = time.time() - 86400
    count = db.session.scalar
    users = db.session.execute(select(
        func.count().filter(User.deleted_at.is_(None), User.is_active.is_(True)),
        func.count().filter(User.deleted_at.is_(None), User.is_active.is_(False)),
        func.count().filter(User.deleted_at.is_not(None)),
        func.count().filter(User.is_admin.is_(True)),
    )).one()
    files = db.session.execute(select(func.count(), func.coalesce(func.sum(Message.file_size), 0))
                               .where(Message.msg_file.is_not(None))).one()
    timeout = current_app.config["PROCESS_TIMEOUT_SECONDS"]
    return {
        "users": {"active": users[0], "disabled": users[1], "deleted": users[2],
                  "admins": users[3]},
        "chats": {"groups": count(select(func.count()).where(Chat.is_private.is_(False))),
                  "private": count(select(func.count()).where(Chat.is_private.is_(True)))},
        "messages": {
            "total": count(select(func.count()).where(Message.msg_type != MsgType.SYSTEM)),
            "last_day": count(select(func.count()).where(Message.msg_type != MsgType.SYSTEM,
                                                         Message.create_time >= day_ago))},
        "files": {"count": files[0], "bytes": int(files[1])},
        "sockets": count(select(func.count()).select_from(UserSocket)),
        "processes": count(select(func.count()).where(
            ServerProcess.heartbeat_at >= time.time() - timeout)),
        "database": {"engine": db.engine.dialect.name, "bytes": _database_bytes()},
    }


def _database_bytes() -> int | None:
    engine = db.engine
    if engine.dialect.name == "postgresql":
        return db.session.scalar(text("SELECT pg_database_size(current_database())"))
    path = engine.url.database
    if not path or path == ":memory:":
        return None
    return sum(os.path.getsize(path + suffix) for suffix in ("", "-wal")
               if os.path.exists(path + suffix))
