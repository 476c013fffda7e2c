"""Typing indicators: announced to the chat, never stored."""

from ... import events, payloads
from ...access import access_chat
from ...models import User


def notify_typing(user: User, chat_id, skip_sid: str | None = None) -> None:
    """Tell the chat's other members that ``user`` is typing (nothing is stored)."""
    membership = access_chat(user, chat_id)
    events.typing(membership.chat_id, payloads.user_public(user), skip_sid=skip_sid)
