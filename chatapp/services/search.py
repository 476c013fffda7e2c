"""Searching the messages a user can read."""

import re
from datetime import UTC, datetime

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import observability, payloads, rate_limits, search
from ..access import access_chat
from ..errors import ValidationError
from ..extensions import db
from ..models import Chat, Membership, Message, User
from .chats import private_peers

PAGE_MAX = 50
DAY_SECONDS = 86400  # UTC days have no daylight saving
# strptime alone also takes "2026-1-5" and full-width digits; the API promises YYYY-MM-DD.
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(value: str | None, field: str, end: bool = False) -> float | None:
    """A YYYY-MM-DD date (UTC) as epoch seconds; ``end`` gives the start of the next day."""
    if not value:
        return None
    try:
        if not ISO_DAY.fullmatch(value):
            raise ValueError(value)
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError("Dates are YYYY-MM-DD.", code="invalid_date", field=field) from None
    # Seconds, not ``day + timedelta``: the day after 9999-12-31 is past ``datetime.max``.
    return day.timestamp() + (DAY_SECONDS if end else 0)


@observability.times_search
def search_messages(user: User, query: str, *, chat_id=None, sender_id=None, kind=None,
                    date_from=None, date_to=None, before=None, limit=20) -> dict:
    """Messages matching ``query`` in chats the user is a member of, newest first.

    Only current memberships count: a former member finds nothing of a chat they left, as
    they can no longer open it. Recalled messages and dissolved chats are never found.
    """
    if not (query or "").strip():
        raise ValidationError("Type something to search for.", code="empty_query", field="q")
    if kind is not None and kind not in search.KINDS:
        raise ValidationError(f"kind is one of {', '.join(search.KINDS)}.",
                              code="invalid_kind", field="kind")
    since, until = _day(date_from, "from"), _day(date_to, "to", end=True)
    if since is not None and until is not None and since >= until:
        # Nothing can match; saying "nothing found" would hide the typo.
        raise ValidationError("The “from” date is after the “to” date.",
                              code="invalid_date_range", field="to")
    limit = max(1, min(limit, PAGE_MAX))
    rate_limits.spend(user.user_id, "search")
    if chat_id is not None:
        chat_ids = [access_chat(user, chat_id).chat_id]
    else:
        chat_ids = list(db.session.scalars(select(Membership.chat_id).where(
            Membership.user_id == user.user_id)))
    ids, highlights = search.find(chat_ids, query, sender_id=sender_id, kind=kind, since=since,
                                  until=until, before=before, limit=limit)
    more, ids = len(ids) > limit, ids[:limit]
    rows = {m.msg_id: m for m in db.session.scalars(
        select(Message).where(Message.msg_id.in_(ids))
        .options(joinedload(Message.sender), joinedload(Message.chat)))}
    chats = {m.chat_id: m.chat for m in rows.values()}
    peers = private_peers(user, [c.chat_id for c in chats.values() if c.is_private])
    results = [_result(rows[i], chats[rows[i].chat_id], peers, highlights) for i in ids]
    return {"results": results, "next": ids[-1] if more else None}


def _result(message: Message, chat: Chat, peers, highlights) -> dict:
    peer = peers.get(chat.chat_id)
    return {
        "message": payloads.message(message),
        "chat": {"chat_id": chat.chat_id, "is_private": chat.is_private,
                 "chat_name": peer.user_name if peer else chat.chat_name},
        "snippet": search.snippet(message.msg_text, highlights),
        "url": url_for("chats.chat_page", chat_id=chat.chat_id, around=message.msg_id,
                       _anchor=f"m{message.msg_id}"),
    }
