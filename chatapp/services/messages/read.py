"""Read positions and receipts: marking a chat read, who has read a message, unread counts."""

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ... import events, payloads
from ...access import access_chat, message_in
from ...database import write_transaction
from ...extensions import db
from ...models import Membership, Message, MsgType, User, message_reads, now


def _insert_ignoring_duplicates(table):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))


def advance_read_position(membership: Membership, up_to: int,
                          own_message: Message | None = None) -> bool:
    """Mark everything in the chat up to ``up_to`` read by the member: two statements and a
    position update, however many messages that is. Returns whether anything moved.

    ``own_message``: the member just sent it at ``up_to``. When it is the only message after
    their read position (the usual case in a conversation), one row says so; its update time
    is its creation time already.
    """
    old = membership.last_read_seq
    if up_to <= old:
        return False
    if own_message is not None and old == up_to - 1:
        db.session.execute(message_reads.insert().values(msg_id=own_message.msg_id,
                                                         user_id=membership.user_id))
        membership.last_read_seq = up_to
        return True
    in_range = and_(Message.chat_id == membership.chat_id, Message.seq > old,
                    Message.seq <= up_to, Message.msg_type != MsgType.SYSTEM)
    reads = _insert_ignoring_duplicates(message_reads).from_select(
        ["msg_id", "user_id"],
        select(Message.msg_id, db.literal(membership.user_id)).where(in_range),
    ).on_conflict_do_nothing()
    db.session.execute(reads)
    db.session.execute(update(Message).where(in_range).values(update_time=now()))
    membership.last_read_seq = up_to
    return True


def mark_read(user: User, chat_id: int, up_to_seq: int) -> int:
    """Mark the chat read up to ``up_to_seq`` (capped at its newest message); returns the
    member's read position. Moving backwards changes nothing."""
    with write_transaction():
        membership = access_chat(user, chat_id, for_update=True)  # one mover at a time
        target = min(up_to_seq, membership.chat.last_seq)
        moved = advance_read_position(membership, target)
        position, chat_id = membership.last_read_seq, membership.chat_id
    if moved:
        events.messages_read(chat_id, user.user_id, position)
    return position


def receipts(user: User, chat_id, msg_id) -> dict:
    """Who of the chat's members has read a message, and how many have not."""
    membership = access_chat(user, chat_id)
    message = message_in(membership.chat_id, msg_id)
    members = {m.user_id: m.user for m in membership.chat.get_memberships()}
    reader_ids = set(db.session.scalars(select(message_reads.c.user_id).where(
        message_reads.c.msg_id == message.msg_id)))
    others = [uid for uid in members if uid != message.sender_id]
    read_by = [members[uid] for uid in others if uid in reader_ids]
    return {
        "msg_id": message.msg_id,
        "read_by": [payloads.user_public(u) for u in read_by],
        "read_count": len(read_by),
        "unread_count": len(others) - len(read_by),
    }



def unread_count(membership: Membership) -> int:
    """Messages from others after the member's read position (system notices do not count)."""
    return db.session.scalar(select(func.count()).select_from(Message).where(
        Message.chat_id == membership.chat_id, Message.seq > membership.last_read_seq,
        Message.msg_type != MsgType.SYSTEM, Message.sender_id != membership.user_id)) or 0

