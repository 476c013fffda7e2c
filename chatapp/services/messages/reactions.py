"""Reactions: members put emoji on messages, each person each emoji once, and a message
carries at most ``REACTIONS_MAX`` different ones."""

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ... import events, payloads, rate_limits
from ...access import access_chat, message_in
from ...database import write_transaction
from ...errors import Conflict, ValidationError
from ...extensions import db
from ...limits import REACTIONS_MAX
from ...models import MsgType, Reaction, User, now
from .changes import record_change


def react(user: User, chat_id: int, msg_id: int, emoji: str, on: bool = True) -> dict:
    """Add (``on``) or take back the user's ``emoji`` (one emoji: ``schemas.Emoji``) on a
    message; returns the message as members receive it (``message_reactions``). Doing what
    is already done changes nothing and tells nobody."""
    rate_limits.spend(user.user_id, "react")  # before the write lock: see rate_limits.spend
    with write_transaction():
        membership = access_chat(user, chat_id)
        message = message_in(membership.chat_id, msg_id)
        if message.recalled_at is not None:
            raise Conflict("That message was recalled.", code="already_recalled")
        if message.msg_type == MsgType.SYSTEM:
            raise ValidationError("Notices take no reactions.", code="cannot_react_to_notice")
        # RETURNING says whether a row was written or removed (an INSERT ... ON CONFLICT DO
        # NOTHING reports a rowcount of -1 through psycopg).
        table = Reaction.__table__
        if on:
            _refuse_one_too_many(message.msg_id, emoji)
            statement = _insert(table).values(
                msg_id=message.msg_id, user_id=user.user_id, emoji=emoji, create_time=now()
            ).on_conflict_do_nothing()
        else:
            statement = delete(table).where(
                table.c.msg_id == message.msg_id, table.c.user_id == user.user_id,
                table.c.emoji == emoji)
        changed = db.session.execute(statement.returning(table.c.msg_id)).first() is not None
        if changed:
            record_change(message)
        payload = payloads.message(message)
    if changed:
        events.message_reactions(payload)
    return payload


def _insert(table):
    dialect = db.session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def _refuse_one_too_many(msg_id: int, emoji: str) -> None:
    """A new kind of emoji on a message that has ``REACTIONS_MAX`` kinds already is refused."""
    kinds = set(db.session.scalars(select(Reaction.emoji).where(Reaction.msg_id == msg_id)
                                   .group_by(Reaction.emoji)))
    if emoji not in kinds and len(kinds) >= REACTIONS_MAX:
        raise Conflict(f"A message takes at most {REACTIONS_MAX} different reactions.",
                       code="too_many_reactions")

