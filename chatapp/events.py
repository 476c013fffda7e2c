"""The server-to-client events about messages and chats: one helper per event.

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


def chat_dissolved(chat_id: int) -> None:
    """A group and its history are gone."""
    emit("chat_dissolved", {"chat_id": chat_id}, chat_room(chat_id))
