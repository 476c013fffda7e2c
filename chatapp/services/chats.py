"""The chat list: a user's chats with their last message, unread counts and presence; one
chat's details; what of a chat notifies a member (muting); telling new members about a chat
they are now in.

Private chats are opened in ``private_chats``; groups and their roles live in ``groups``.
"""

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, joinedload

from .. import events, payloads
from ..access import access_chat, private_peer
from ..database import write_transaction
from ..extensions import db
from ..models import Chat, Membership, Message, MsgType, Notify, User
from ..realtime import join_chat_room
from . import connections
from .messages import may_post, pinned_count, unread_count


def summary(chat: Chat, membership: Membership, user: User) -> dict:
    """The chat as ``user`` sees it in their list."""
    other = private_peer(chat, user)
    last = db.session.scalar(select(Message).where(Message.chat_id == chat.chat_id,
                                                   Message.seq == chat.last_seq))
    presence = connections.presence([other.user_id])[other.user_id] if other else None
    return payloads.chat_summary(chat, membership, other, last_message=last,
                                 unread=unread_count(membership), other_presence=presence)


_LAST_MESSAGE = aliased(Message, name="last_message")  # built once: its columns are objects


def list_chats(user: User) -> list[dict]:
    """The user's chats, newest activity first, each with its last message, the unread count
    and, for private chats, the other person and whether they are online. Three queries,
    however many chats."""
    last = _LAST_MESSAGE
    unread = (
        select(func.count()).select_from(Message)
        .where(Message.chat_id == Chat.chat_id, Message.seq > Membership.last_read_seq,
               Message.msg_type != MsgType.SYSTEM, Message.sender_id != user.user_id)
        .correlate(Chat, Membership).scalar_subquery()
    )
    rows = db.session.execute(
        select(Chat, Membership, last, unread)
        .join(Membership, Membership.chat_id == Chat.chat_id)
        .outerjoin(last, and_(last.chat_id == Chat.chat_id, last.seq == Chat.last_seq))
        .options(joinedload(last.sender), joinedload(last.forwarded_from))
        .where(Membership.user_id == user.user_id)
        .order_by(Chat.last_activity.desc(), Chat.chat_id.desc())
    ).all()
    peers = private_peers(user, [chat.chat_id for chat, *_ in rows if chat.is_private])
    presence = connections.presence([p.user_id for p in peers.values()])
    return [
        payloads.chat_summary(
            chat, membership, peers.get(chat.chat_id), last_message=message, unread=count,
            other_presence=presence.get(peers[chat.chat_id].user_id)
            if chat.chat_id in peers else None)
        for chat, membership, message, count in rows
    ]


def unread_counts(user: User) -> dict[int, tuple[int, int]]:
    """What waits for ``user``: for each of their chats with unread messages, how many and the
    highest seq among them (the same count as ``list_chats``). One query, for every page's
    top bar; a client counts a live message only when its seq is above that."""
    rows = db.session.execute(
        select(Membership.chat_id, func.count(), func.max(Message.seq))
        .join(Message, and_(Message.chat_id == Membership.chat_id,
                            Message.seq > Membership.last_read_seq))
        .where(Membership.user_id == user.user_id, Message.msg_type != MsgType.SYSTEM,
               Message.sender_id != user.user_id)
        .group_by(Membership.chat_id)
    ).all()
    return {chat_id: (count, top) for chat_id, count, top in rows}


def quiet_chats(user: User) -> dict[int, str]:
    """The user's chats that do not notify them of every message: chat id → ``mentions`` or
    ``none`` (muted)."""
    return dict(db.session.execute(
        select(Membership.chat_id, Membership.notify)
        .where(Membership.user_id == user.user_id, Membership.notify != Notify.ALL)).all())


def private_peers(user: User, chat_ids) -> dict[int, User]:
    """The other person of each of the user's private ``chat_ids``."""
    if not chat_ids:
        return {}
    rows = db.session.execute(
        select(Membership.chat_id, User).join(User, User.user_id == Membership.user_id)
        .where(Membership.chat_id.in_(chat_ids), Membership.user_id != user.user_id)
    ).all()
    return dict(rows)


def chat_details(user: User, chat_id) -> dict:
    """A chat with its members: roles, read positions and presence, for a member; and whether
    they can send in it (a private chat needs the friendship)."""
    membership = access_chat(user, chat_id)
    chat = membership.chat
    memberships = chat.get_memberships()
    presence = connections.presence([m.user_id for m in memberships])
    return {
        **summary(chat, membership, user),
        "can_send": may_post(user, membership),
        "pinned_count": pinned_count(chat.chat_id),
        "members": [{**payloads.member(m), "read_seq": m.last_read_seq, **presence[m.user_id]}
                    for m in memberships],
    }

def set_notify(user: User, chat_id: int, level: str) -> str:
    """What of the chat notifies the user: ``all``, ``mentions`` or ``none`` (muted). Only
    their own membership changes; their other tabs hear it (``chat_notify_changed``)."""
    with write_transaction():
        membership = access_chat(user, chat_id, for_update=True)
        changed = membership.notify != level
        membership.notify, chat_id = level, membership.chat_id
    if changed:
        events.chat_notify_changed(chat_id, level, user.user_id)
    return level


def announce_new_chat(chat: Chat, user_ids) -> None:
    """After the commit: put the new members' sockets into the chat's room and show each of
    them the chat as their list will (``chat_created``)."""
    join_chat_room(user_ids, chat.chat_id)
    for membership in chat.get_memberships():
        if membership.user_id in user_ids:
            events.chat_created(summary(chat, membership, membership.user), membership.user_id)
