"""Appending messages to a chat, in commit order."""

from sqlalchemy import update

from ..extensions import db
from ..models import Chat, Message, MsgType, now


def append_message(chat_id: int, sender_id: int, msg_type: MsgType, text: str) -> Message:
    """Add a message at the chat's next position; call inside a write transaction.

    The counter update takes the chat row's write lock, so positions are handed out in the
    order transactions commit, on SQLite and on PostgreSQL with several processes alike.
    """
    timestamp = now()
    seq = db.session.execute(
        update(Chat)
        .where(Chat.chat_id == chat_id)
        .values(last_seq=Chat.last_seq + 1, last_activity=timestamp)
        .returning(Chat.last_seq)
    ).scalar_one()
    message = Message(chat_id=chat_id, sender_id=sender_id, seq=seq, msg_type=msg_type,
                      msg_text=text, create_time=timestamp, update_time=timestamp)
    db.session.add(message)
    db.session.flush()
    return message
