"""JSON shapes of domain objects, shared by HTTP replies and Socket.IO events."""

import os

import flask
from flask import current_app, g, has_request_context
from sqlalchemy import select

from . import notices
from .extensions import db
from .files import storage
from .formatting import plain_text
from .models import Message, MsgType, Reaction, User, message_mentions

QUOTE_CHARS = 120  # how much of a replied-to message's text a reply quotes


def url_for(endpoint: str, **values) -> str:
    """The path of ``endpoint``: Flask's ``url_for`` in a request; outside one (a command, a
    background task) built from the app's URL map under ``APPLICATION_ROOT``. So services can
    build payloads and emit events without a request, with the same paths in them."""
    if has_request_context():
        return flask.url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost",
                                       script_name=current_app.config["APPLICATION_ROOT"])
    return adapter.build(endpoint, values)


def avatar_url(user: User) -> str:
    """The avatar URL; it changes whenever the avatar does, so browsers may cache it.

    Built once per user and avatar in a request (a history page names the same few senders
    fifty times, and ``url_for`` is a large part of such a page's cost)."""
    key = (user.user_id, user.user_icon, user.is_active)
    built = g.setdefault("avatar_urls", {})
    url = built.get(key)
    if url is None and not user.is_active:  # a disabled or deleted account has no avatar
        url = built[key] = url_for("static", filename="img/default-avatar.svg")
    if url is None:
        version = (os.path.splitext(os.path.basename(user.user_icon))[0][:12]
                   if user.user_icon else "0")
        url = built[key] = url_for("files.avatar", user_id=user.user_id, v=version)
    return url


def user_public(user: User) -> dict:
    """What any logged-in person may see of a user."""
    return {
        "user_id": user.user_id,
        "user_name": user.user_name,
        "avatar_url": avatar_url(user),
    }


def user_private(user: User) -> dict:
    """What a user sees of their own account."""
    return {
        **user_public(user),
        "user_email": user.user_email,
        "has_avatar": bool(user.user_icon),
        "locale": user.locale,
        "register_time": user.register_time,
        "login_time": user.login_time,
    }


def friend_request(request) -> dict:
    """A pending friend request, as both sides see it."""
    return {
        "request_id": request.id,
        "sender": user_public(request.sender),
        "receiver": user_public(request.receiver),
        "note": request.note,
        "create_time": request.create_time,
    }


def member(membership) -> dict:
    """One person in a chat, with their role."""
    return {"user": user_public(membership.user), "privilege": membership.privilege,
            "update_time": membership.update_time}


def chat_summary(chat, viewer_membership, other=None, *, last_message=None, unread=0,
                 other_presence=None) -> dict:
    """A chat as one member sees it in their list (``other`` is the peer of a private chat)."""
    return {
        "chat_id": chat.chat_id,
        "chat_name": other.user_name if (chat.is_private and other) else chat.chat_name,
        "is_private": chat.is_private,
        "create_time": chat.create_time,
        "last_activity": chat.last_activity,
        "last_seq": chat.last_seq,
        "read_seq": viewer_membership.last_read_seq,
        "unread": unread,
        "last_message": message(last_message) if last_message is not None else None,
        "privilege": viewer_membership.privilege,
        "notify": viewer_membership.notify,
        "other_user": ({**user_public(other), **(other_presence or {})} if other else None),
        "url": url_for("chats.chat_page", chat_id=chat.chat_id),
    }


def messages(rows: list[Message]) -> list[dict]:
    """Several messages of a page, with the reactions of all of them read in one query, and
    the people they mention in another."""
    found = reactions_of([m.msg_id for m in rows if m.change_seq])
    named = mentions_of([m.msg_id for m in rows if _may_mention(m)])
    return [message(m, reactions=found, mentions=named) for m in rows]


def _may_mention(msg: Message) -> bool:
    return msg.msg_type == MsgType.TEXT and "<@" in msg.msg_text


def mentions_of(msg_ids: list[int]) -> dict[int, list[dict]]:
    """The people each message mentions by id, with their names now."""
    found: dict[int, list[dict]] = {}
    if msg_ids:
        rows = db.session.execute(
            select(message_mentions.c.msg_id, User.user_id, User.user_name)
            .join(User, User.user_id == message_mentions.c.user_id)
            .where(message_mentions.c.msg_id.in_(msg_ids))
            .order_by(message_mentions.c.msg_id, User.user_id))
        for msg_id, user_id, user_name in rows:
            found.setdefault(msg_id, []).append({"user_id": user_id, "user_name": user_name})
    return found


def reactions_of(msg_ids: list[int]) -> dict[int, list[dict]]:
    """The reactions of each message: per emoji, in the order first given, who gave it."""
    found: dict[int, dict[str, dict]] = {}
    if not msg_ids:
        return {}
    rows = db.session.execute(
        select(Reaction.msg_id, Reaction.emoji, User.user_id, User.user_name)
        .join(User, User.user_id == Reaction.user_id)
        .where(Reaction.msg_id.in_(msg_ids))
        .order_by(Reaction.create_time, Reaction.user_id))
    for msg_id, emoji, user_id, user_name in rows:
        one = found.setdefault(msg_id, {}).setdefault(emoji, {"emoji": emoji, "users": []})
        one["users"].append({"user_id": user_id, "user_name": user_name})
    return {msg_id: [{**r, "count": len(r["users"])} for r in by_emoji.values()]
            for msg_id, by_emoji in found.items()}


def _quoted_text(msg: Message) -> str:
    if msg.recalled_at is not None:
        return ""
    text = plain_text(msg.msg_text) if msg.msg_type == MsgType.TEXT else msg.msg_text
    return text[:QUOTE_CHARS]


def quote(msg: Message) -> dict:
    """What a reply shows of the message it answers: its sender and the start of its text."""
    return {
        "msg_id": msg.msg_id,
        "seq": msg.seq,
        "sender": {"user_id": msg.sender.user_id, "user_name": msg.sender.user_name},
        "msg_type": msg.msg_type,
        "text": _quoted_text(msg),
        "recalled": msg.recalled_at is not None,
    }


def message(msg, sender: dict | None = None, reactions: dict | None = None,
            mentions: dict | None = None) -> dict:
    """A stored message, as every member receives it. System notices come decoded, with
    their English sentence as ``text``. ``sender``: the sender's ``user_public``, when the
    caller has it already (no load of the sender). ``reactions`` and ``mentions``:
    ``reactions_of`` and ``mentions_of`` for a page of messages, read once; without them a
    message that ever changed reads its own reactions, and one with tokens its mentions."""
    if reactions is None:
        reactions = reactions_of([msg.msg_id]) if msg.change_seq else {}
    if mentions is None:
        mentions = mentions_of([msg.msg_id]) if _may_mention(msg) else {}
    body = {
        "msg_id": msg.msg_id,
        "chat_id": msg.chat_id,
        "seq": msg.seq,
        "sender": sender or user_public(msg.sender),
        "msg_type": msg.msg_type,
        "msg_text": msg.msg_text,
        "create_time": msg.create_time,
        "update_time": msg.update_time,
        "client_msg_id": msg.client_msg_id,
        "recalled": msg.recalled_at is not None,
        "recalled_at": msg.recalled_at,
        "change_seq": msg.change_seq,
        "edited_at": msg.edited_at,
        "reply_to": quote(msg.reply_to) if msg.reply_to_id is not None else None,
        "reactions": reactions.get(msg.msg_id, []),
        "forwarded_from": ({"user_id": msg.forwarded_from_id,
                            "user_name": msg.forwarded_from.user_name}
                           if msg.forwarded_from_id is not None else None),
        "pinned_at": msg.pinned_at,
        "pinned_by": msg.pinned_by,
        "mentions": mentions.get(msg.msg_id, []),
        "mentions_all": msg.mentions_all,
    }
    if msg.msg_file and msg.recalled_at is None:
        body["file"] = {
            "name": msg.msg_text,
            "url": url_for("files.file", msg_id=msg.msg_id),
            "thumbnail_url": (url_for("files.thumbnail", msg_id=msg.msg_id)
                              if storage.thumbnail_of(msg.msg_type, msg.msg_file) else None),
            "mime": msg.file_mime,
            "size": msg.file_size,
            "width": msg.file_width,
            "height": msg.file_height,
        }
    if msg.msg_type == MsgType.SYSTEM:
        body["notice"] = notices.decode(msg.msg_text)
        body["text"] = notices.describe(body["notice"])
    return body
