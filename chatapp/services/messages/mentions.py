"""Mentions: a text names members by id with ``<@user_id>`` tokens (the composer writes them
for the names picked), and a group's whole membership with ``<@all>``. They are stored by id
(``message_mentions``, ``messages.mentions_all``), so renaming someone breaks nothing: clients
draw each token with the person's current name."""

import re

from sqlalchemy import delete, insert, select

from ...errors import Forbidden
from ...extensions import db
from ...models import Membership, Message, Privilege, message_mentions
from ...schemas import MAX_ID

TOKEN = re.compile(r"<@(\d{1,19}|all)>")


def record_mentions(message: Message, membership: Membership, *, again: bool = False) -> None:
    """Inside the write transaction that stores (or, ``again``, edits) ``message``: who its
    text mentions. Tokens naming someone who is not a member mention nobody (they stay text);
    ``<@all>`` in a group is for its owner and admins (``cannot_mention_all``), and in a
    private chat is just text."""
    if again:
        db.session.execute(delete(message_mentions).where(
            message_mentions.c.msg_id == message.msg_id))
        message.mentions_all = False
    found = TOKEN.findall(message.msg_text)
    if not found:
        return
    everyone = "all" in found and not membership.chat.is_private
    if everyone and membership.privilege not in (Privilege.OWNER, Privilege.ADMIN):
        raise Forbidden("Only the group's owner and admins can mention everyone.",
                        code="cannot_mention_all")
    ids = {int(named) for named in found if named != "all" and int(named) <= MAX_ID}
    members = list(db.session.scalars(select(Membership.user_id).where(
        Membership.chat_id == message.chat_id, Membership.user_id.in_(ids)))) if ids else []
    if members:
        db.session.execute(insert(message_mentions), [
            {"msg_id": message.msg_id, "user_id": user_id} for user_id in sorted(members)])
    message.mentions_all = everyone
