"""Searching the messages a user can read: filters, scoping to the user's chats, result shapes.

The index is reached through the façade (``chatapp.search``), never a backend.
"""

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from .. import observability, payloads, rate_limits, search
from ..access import access_chat
from ..errors import ValidationError
from ..extensions import db
from ..formatting import plain_text
from ..limits import SEARCH_PAGE, SEARCH_PAGE_MAX
from ..models import Chat, Membership, Message, MsgType, User, message_mentions
from ..services.chats import private_peers

DAY_SECONDS = 86400
# strptime alone also takes "2026-1-5" and full-width digits; the API promises YYYY-MM-DD.
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _zone(name: str | None) -> tzinfo:
    """The IANA time zone called ``name`` (UTC when there is none) that search dates are in."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    # ValueError: a path rather than a name ("../x", "/etc/..."); OSError: a directory, say.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError("Unknown time zone.", code="invalid_time_zone",
                              field="tz") from None


def _midnight(day: date, zone: tzinfo) -> float:
    """The first moment of ``day`` in ``zone``, as epoch seconds."""
    # Where a DST change skips midnight (Santiago, Havana), fold=0 reads 00:00 with the offset
    # before the gap: exactly the first moment after it, which is where that day begins.
    return datetime.combine(day, time(), tzinfo=zone).timestamp()


def _day(value: str | None, field: str, zone: tzinfo, end: bool = False) -> float | None:
    """A YYYY-MM-DD date in ``zone`` as epoch seconds; ``end`` gives the start of the next day.

    Days are measured from local midnight to local midnight, so a day with a DST change is
    23 or 25 hours long."""
    if not value:
        return None
    try:
        if not ISO_DAY.fullmatch(value):
            raise ValueError(value)
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationError("Dates are YYYY-MM-DD.", code="invalid_date", field=field) from None
    if not end:
        return _midnight(day, zone)
    if day == date.max:  # the day after 9999-12-31 is past ``date.max``: call it 24 hours
        return _midnight(day, zone) + DAY_SECONDS
    return _midnight(day + timedelta(days=1), zone)


@observability.times_search
def search_messages(user: User, query: str, *, chat_id=None, sender_id=None, kind=None,
                    date_from=None, date_to=None, time_zone=None, before=None,
                    limit=SEARCH_PAGE, mentions_me=False) -> dict:
    """Messages matching ``query`` in chats the user is a member of, newest first; the dates
    are days in ``time_zone`` (an IANA name, UTC when None), both of them included. With
    ``mentions_me`` and no words: the messages that mention the user (by name or "@all").

    Only current memberships count: a former member finds nothing of a chat they left, as
    they can no longer open it. Recalled messages and dissolved chats are never found.
    """
    words = (query or "").strip()
    if mentions_me and words:
        raise ValidationError("Mentions are listed without words to find.",
                              code="mentions_with_words", field="q")
    if not words and not mentions_me:
        raise ValidationError("Type something to search for.", code="empty_query", field="q")
    zone = _zone(time_zone)
    since, until = _day(date_from, "from", zone), _day(date_to, "to", zone, end=True)
    if since is not None and until is not None and since >= until:
        # Nothing can match; saying "nothing found" would hide the typo.
        raise ValidationError("The “from” date is after the “to” date.",
                              code="invalid_date_range", field="to", also=("from",))
    limit = max(1, min(limit, SEARCH_PAGE_MAX))
    rate_limits.spend(user.user_id, "search")
    if chat_id is not None:
        chat_ids = [access_chat(user, chat_id).chat_id]
    else:
        chat_ids = list(db.session.scalars(select(Membership.chat_id).where(
            Membership.user_id == user.user_id)))
    if mentions_me:
        ids, highlights = _mentions(user, chat_ids, sender_id=sender_id, kind=kind, since=since,
                                    until=until, before=before, limit=limit), []
    else:
        ids, highlights = search.find(chat_ids, query, sender_id=sender_id, kind=kind,
                                      since=since, until=until, before=before, limit=limit)
    more, ids = len(ids) > limit, ids[:limit]
    rows = {m.msg_id: m for m in db.session.scalars(
        select(Message).where(Message.msg_id.in_(ids))
        .options(joinedload(Message.sender), joinedload(Message.chat)))}
    chats = {m.chat_id: m.chat for m in rows.values()}
    peers = private_peers(user, [c.chat_id for c in chats.values() if c.is_private])
    found = [rows[i] for i in ids]
    shaped = payloads.messages(found)  # reactions and mentions of the page in one query each
    results = [_result(message, shape, chats[message.chat_id], peers, highlights)
               for message, shape in zip(found, shaped, strict=True)]
    return {"results": results, "next": ids[-1] if more else None}


def _mentions(user: User, chat_ids, *, sender_id, kind, since, until, before, limit
              ) -> list[int]:
    """Ids of up to ``limit`` + 1 messages that mention the user in ``chat_ids``, newest
    first: by id (``message_mentions``), or "@all" from someone else."""
    named = select(message_mentions.c.msg_id).where(
        message_mentions.c.user_id == user.user_id, message_mentions.c.msg_id == Message.msg_id)
    stmt = select(Message.msg_id).where(
        Message.chat_id.in_(chat_ids), Message.recalled_at.is_(None),
        or_(named.exists(), and_(Message.mentions_all.is_(True),
                                 Message.sender_id != user.user_id)))
    if sender_id is not None:
        stmt = stmt.where(Message.sender_id == sender_id)
    if kind is not None:
        stmt = stmt.where(Message.msg_type.in_(search.KINDS[kind]))
    if since is not None:
        stmt = stmt.where(Message.create_time >= since)
    if until is not None:
        stmt = stmt.where(Message.create_time < until)
    if before is not None:
        stmt = stmt.where(Message.msg_id < before)
    return list(db.session.scalars(stmt.order_by(Message.msg_id.desc()).limit(limit + 1)))


def _result(message: Message, shape: dict, chat: Chat, peers, highlights) -> dict:
    peer = peers.get(chat.chat_id)
    return {
        "message": shape,
        "chat": {"chat_id": chat.chat_id, "is_private": chat.is_private,
                 "chat_name": peer.user_name if peer else chat.chat_name},
        "snippet": search.snippet(_shown_text(message), highlights),
    }


def _shown_text(message: Message) -> str:
    """What a snippet quotes: a text without its formatting marks (the index holds the same
    words either way: markers are not letters), a file's name as it is."""
    if message.msg_type == MsgType.TEXT:
        return plain_text(message.msg_text)
    return message.msg_text
