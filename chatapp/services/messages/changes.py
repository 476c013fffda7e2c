"""Changes to messages already sent (edits, recalls, reactions) and how clients catch up on
them.

Each chat has a change counter (``Chat.last_change``) beside its message counter. Every change
to one of its messages takes the next value inside the transaction that makes it, under the
chat row's write lock, and stamps it on the message (``Message.change_seq``). The events that
announce a change carry the message with its ``change_seq``. A client that was away asks for
the messages changed after the last change position it caught up to, and gets each changed
message once, as it is now, in change order (docs/api.md, "Catching up on changes").
"""

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ... import payloads
from ...access import access_chat
from ...extensions import db
from ...limits import HISTORY_PAGE_MAX
from ...models import Chat, Message, User


def next_position(chat_id: int, counter: str, **also) -> int:
    """Advance the chat's ``counter`` (``last_seq`` or ``last_change``) by one and return it,
    setting the ``also`` columns with it; call inside a write transaction. The update takes the
    chat row's write lock, so values are handed out in the order transactions commit, on
    SQLite and on PostgreSQL with several processes alike. A Core statement (no unit of work
    on the send path); a chat already in the session gets the new values."""
    table = Chat.__table__
    value = db.session.execute(
        update(table).where(table.c.chat_id == chat_id)
        .values({counter: table.c[counter] + 1, **also}).returning(table.c[counter])
    ).scalar_one()
    chat = db.session.identity_map.get(identity_key(Chat, chat_id))
    if chat is not None:
        for name, new in {counter: value, **also}.items():
            set_committed_value(chat, name, new)
    return value


def record_change(message: Message) -> int:
    """Give ``message`` its chat's next change position; call inside a write transaction."""
    message.change_seq = next_position(message.chat_id, "last_change")
    return message.change_seq


def changes(user: User, chat_id: int, after: int, limit: int = HISTORY_PAGE_MAX) -> dict:
    """The chat's messages changed after change position ``after``, in change order, each as
    it is now. ``last_change`` is where to ask from next time: the chat's change position read
    before the messages, or the last one listed when ``has_more`` (ask again from there)."""
    membership = access_chat(user, chat_id)
    last_change = membership.chat.last_change  # read first: later changes are asked again
    rows = list(db.session.scalars(
        select(Message)
        .where(Message.chat_id == membership.chat_id, Message.change_seq > after)
        .order_by(Message.change_seq).limit(limit + 1)
        .options(joinedload(Message.sender))))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"messages": payloads.messages(rows), "has_more": more,
            "last_change": rows[-1].change_seq if more else last_change}
