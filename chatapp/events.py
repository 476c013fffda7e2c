"""The server-to-client events: one helper per event (messages, chats, friends, presence).

Each helper takes what the event says and sends it to the sockets that should hear it, so an
event's shape is written down once. Services call them after their transaction committed
(docs/architecture.md, "Commit, then emit"). Room names and the emit itself are in
``realtime``.
"""

from .realtime import chat_room, emit, emit_to_users


def message_created(message: dict, sender_read_seq: int | None = None) -> None:
    """A new message (``payloads.message``) in its chat. ``sender_read_seq``: the sender's
    read position moved to it (sending counts as reading)."""
    payload = {"message": message}
    if sender_read_seq is not None:
        payload["sender_read_seq"] = sender_read_seq
    emit("message_created", payload, chat_room(message["chat_id"]))


def message_recalled(message: dict) -> None:
    """A message was withdrawn; ``message`` is its placeholder (``payloads.message``)."""
    emit("message_recalled", {"message": message}, chat_room(message["chat_id"]))


def message_edited(message: dict) -> None:
    """A message has new text (``payloads.message``: ``edited_at`` and ``change_seq`` set)."""
    emit("message_edited", {"message": message}, chat_room(message["chat_id"]))


def message_reactions(message: dict) -> None:
    """A message's reactions changed; ``message`` carries them all (``payloads.message``)."""
    emit("message_reactions", {"message": message}, chat_room(message["chat_id"]))


def message_pinned(message: dict) -> None:
    """A message was pinned or unpinned (``pinned_at`` says which)."""
    emit("message_pinned", {"message": message}, chat_room(message["chat_id"]))


def messages_read(chat_id: int, user_id: int, up_to_seq: int) -> None:
    """A member's read position in the chat moved to ``up_to_seq``."""
    emit("messages_read", {"chat_id": chat_id, "user_id": user_id, "up_to_seq": up_to_seq},
         chat_room(chat_id))


def typing(chat_id: int, user: dict, skip_sid: str | None = None) -> None:
    """``user`` (``payloads.user_public``) is typing in the chat; not to their own socket."""
    emit("typing", {"chat_id": chat_id, "user": user}, chat_room(chat_id), skip_sid=skip_sid)


def chat_created(summary: dict, user_id: int) -> None:
    """A chat the user is now in, as their list shows it (``payloads.chat_summary``)."""
    emit_to_users("chat_created", {"chat": summary}, [user_id])


def chat_renamed(chat_id: int, chat_name: str) -> None:
    """A group has a new name."""
    emit("chat_renamed", {"chat_id": chat_id, "chat_name": chat_name}, chat_room(chat_id))


def member_added(chat_id: int, member: dict) -> None:
    """Someone joined a group; ``member`` is ``payloads.member``."""
    emit("member_added", {"chat_id": chat_id, "member": member}, chat_room(chat_id))


def member_removed(chat_id: int, user_id: int, reason: str) -> None:
    """Someone is no longer in a group: ``reason`` is ``removed`` or ``left``."""
    emit("member_removed", {"chat_id": chat_id, "user_id": user_id, "reason": reason},
         chat_room(chat_id))


def role_changed(chat_id: int, user_id: int, privilege: str) -> None:
    """A member's role in a group is now ``privilege`` (owner, admin or member)."""
    emit("role_changed", {"chat_id": chat_id, "user_id": user_id, "privilege": privilege},
         chat_room(chat_id))


def chat_notify_changed(chat_id: int, notify: str, user_id: int) -> None:
    """The user set what of the chat notifies them (``all``, ``mentions``, ``none``): their
    other tabs follow."""
    emit_to_users("chat_notify_changed", {"chat_id": chat_id, "notify": notify}, [user_id])


def chat_dissolved(chat_id: int) -> None:
    """A group and its history are gone."""
    emit("chat_dissolved", {"chat_id": chat_id}, chat_room(chat_id))


# --- friends and presence ----------------------------------------------------------------


def friend_request_made(request: dict, sender_id: int, receiver_id: int) -> None:
    """A friend request (``payloads.friend_request``): the receiver hears it received, the
    sender's other tabs that it was sent."""
    emit_to_users("friend_request_received", {"request": request}, [receiver_id])
    emit_to_users("friend_request_sent", {"request": request}, [sender_id])


def friend_request_accepted(request_ids: list[int], user_id: int, friend: dict) -> None:
    """``user_id`` and ``friend`` (``payloads.user_public``) are friends now, which settled the
    requests ``request_ids``; each side is told about the other with its own call."""
    emit_to_users("friend_request_accepted", {"request_ids": request_ids, "friend": friend},
                  [user_id])


def friend_request_declined(request_id: int, user_ids: list[int]) -> None:
    """The receiver declined the request (or their account went)."""
    emit_to_users("friend_request_declined", {"request_id": request_id}, user_ids)


def friend_request_cancelled(request_id: int, user_ids: list[int]) -> None:
    """The sender withdrew the request (or their account went)."""
    emit_to_users("friend_request_cancelled", {"request_id": request_id}, user_ids)


def friend_removed(former_friend_id: int, user_id: int) -> None:
    """``user_id`` is no longer friends with ``former_friend_id``."""
    emit_to_users("friend_removed", {"user_id": former_friend_id}, [user_id])


def presence_changed(user_id: int, online: bool, last_seen: float | None,
                     contacts: list[int]) -> None:
    """A person came online or went offline; their contacts hear it."""
    emit_to_users("presence_changed",
                  {"user_id": user_id, "online": online, "last_seen": last_seen}, contacts)
