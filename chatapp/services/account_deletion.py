"""Deleting an account, by its owner or by a site administrator.

The policy (docs/permissions.md, "Deleting an account"): personal data goes: name, email,
password, avatar, language, friendships and friend requests, admin rights. The row stays,
renamed "Deleted user <id>" (a name registration can never produce), so what the person said
keeps a sender for everyone else: their messages stay, unless an administrator deletes the
account with its messages, which removes their text and files as a recall does. Past notices
("alice added bob") name the deleted user by the new name. They leave every group (a departing
owner hands the group to its longest-standing admin, else member; a group nobody else is in is
deleted); private chats stay for the other person. Every session ends, and their open sockets
are cut on every server process.
"""

from sqlalchemy import select
from werkzeug.security import check_password_hash

from .. import notices
from ..database import write_transaction
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..files import storage
from ..models import Message, MsgType, User, now
from . import connections, friends, groups, messages


def deleted_name(user_id: int) -> str:
    """The name a deleted account keeps (a space: no registered name can look like it)."""
    return f"Deleted user {user_id}"


def delete_own_account(user: User, password: str) -> None:
    """The user deletes their own account, confirming with their password."""
    if not check_password_hash(user.password, password):
        raise ValidationError("The password is wrong.", code="wrong_password", field="password")
    delete_account(user, by=user)


def delete_account(user: User, *, by: User, remove_messages: bool = False) -> None:
    """Delete ``user``'s account (see the module's policy); ``by`` is who asked."""
    with write_transaction():
        user = db.session.get(User, user.user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("No such user.", code="user_not_found")
        announcements = [groups.withdraw_from_groups(user), friends.drop_all_friendships(user)]
        if remove_messages:
            announcements.append(messages.erase_messages_of(user, by))
        old_avatar = user.user_icon
        name = deleted_name(user.user_id)
        _rename_in_notices(user.user_id, name)
        user.user_name, user.user_name_key, user.user_name_skeleton = name, name.casefold(), None
        user.password = ""  # no password hashes to this
        user.user_email = user.user_icon = user.locale = None
        user.is_active = user.is_admin = False
        user.deleted_at = now()
        user.session_version = User.session_version + 1
    storage.remove(old_avatar)
    for announce in announcements:
        announce()
    connections.end_revoked_sockets(user.user_id)


def _rename_in_notices(user_id: int, name: str) -> None:
    """Past notices keep the names of their time: the deleted user's becomes ``name``."""
    for notice in db.session.scalars(select(Message).where(
            Message.msg_type == MsgType.SYSTEM,
            Message.msg_text.like(notices.mentions_pattern(user_id)))):
        notice.msg_text = notices.renamed(notice.msg_text, user_id, name)
