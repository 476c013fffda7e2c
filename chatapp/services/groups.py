"""Groups: creating one, renaming, members, roles, leaving and dissolving.

Who may do what is decided here (docs/permissions.md has the table): the owner renames, adds
and removes anyone, promotes and demotes, transfers ownership and dissolves; an admin renames,
adds members and removes plain members; every member can leave; the owner leaves only after
handing over ownership, unless they are the last member. Each change writes a notice into the
chat (``message_created``) besides its own event.
"""

from sqlalchemy import delete, select

from .. import events, notices, payloads, search
from ..access import access_chat, active_user, member_of, require_group, require_role
from ..database import write_transaction
from ..errors import Conflict, Forbidden, ValidationError
from ..extensions import db
from ..files import storage
from ..files.service import files_in_chat
from ..models import CHAT_NAME_MAX, Chat, Membership, MsgType, Privilege, User, now
from ..realtime import close_chat_room, leave_chat_room
from .chats import announce_new_chat
from .friends import are_friends
from .messages import append_message

OWNER, ADMIN, MEMBER = Privilege.OWNER, Privilege.ADMIN, Privilege.MEMBER
GROUP_MAX_MEMBERS = 500


def _clean_name(name) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Give the group a name.", code="invalid_chat_name",
                              field="chat_name")
    if len(name) > CHAT_NAME_MAX:
        raise ValidationError(f"A group name has at most {CHAT_NAME_MAX} characters.",
                              code="invalid_chat_name", field="chat_name")
    return name


def _friends_to_add(user: User, user_ids: list[int]) -> list[User]:
    people = []
    for user_id in dict.fromkeys(user_ids):
        if user_id == user.user_id:
            continue
        person = active_user(user_id)
        if not are_friends(user.user_id, person.user_id):
            raise Forbidden(f"{person.user_name} is not your friend.", code="not_friends",
                            details={"user_id": person.user_id})
        people.append(person)
    return people


def _notice(chat_id: int, actor: User, kind: str, target: User | None = None,
            name: str | None = None):
    return append_message(chat_id, actor.user_id, MsgType.SYSTEM,
                          notices.encode(kind, actor, target, name))


def _publish_notices(messages) -> None:
    for message in messages:
        events.message_created(payloads.message(message))


def create_group(user: User, name, member_ids) -> Chat:
    """A new group named ``name``; the creator is its owner, the chosen friends its members."""
    name = _clean_name(name)
    with write_transaction():
        people = _friends_to_add(user, member_ids)
        if len(people) + 1 > GROUP_MAX_MEMBERS:
            raise ValidationError(f"A group has at most {GROUP_MAX_MEMBERS} members.",
                                  code="too_many_members", field="member_ids")
        chat = Chat(chat_name=name, is_private=False, create_time=now())
        db.session.add(chat)
        db.session.flush()
        db.session.add(Membership(user_id=user.user_id, chat_id=chat.chat_id, privilege=OWNER))
        db.session.add_all([Membership(user_id=p.user_id, chat_id=chat.chat_id, privilege=MEMBER)
                            for p in people])
        created = [_notice(chat.chat_id, user, "group_created", name=name)]
        created += [_notice(chat.chat_id, user, "member_added", p) for p in people]
    announce_new_chat(chat, [user.user_id, *(p.user_id for p in people)])
    _publish_notices(created)
    return chat


def rename_chat(user: User, chat_id, name) -> Chat:
    """Rename a group (owner or admin)."""
    name = _clean_name(name)
    with write_transaction():
        membership = access_chat(user, chat_id)
        require_group(membership.chat)
        require_role(membership, OWNER, ADMIN)
        chat = membership.chat
        chat.chat_name = name
        notice = _notice(chat.chat_id, user, "chat_renamed", name=name)
    events.chat_renamed(chat.chat_id, name)
    _publish_notices([notice])
    return chat


def add_members(user: User, chat_id, user_ids) -> list[User]:
    """Add friends of the actor to a group (owner or admin)."""
    with write_transaction():
        membership = access_chat(user, chat_id)
        require_group(membership.chat)
        require_role(membership, OWNER, ADMIN)
        people = _friends_to_add(user, user_ids)
        if not people:
            raise ValidationError("Choose someone to add.", code="invalid_members",
                                  field="member_ids")
        present = set(db.session.scalars(select(Membership.user_id).where(
            Membership.chat_id == membership.chat_id)))
        if any(p.user_id in present for p in people):
            raise Conflict("Someone you chose is already in the group.", code="already_member")
        if len(present) + len(people) > GROUP_MAX_MEMBERS:
            raise ValidationError(f"A group has at most {GROUP_MAX_MEMBERS} members.",
                                  code="too_many_members", field="member_ids")
        chat = membership.chat
        for person in people:
            # What was said before they joined is history, not unread news.
            db.session.add(Membership(user_id=person.user_id, chat_id=chat.chat_id,
                                      privilege=MEMBER, last_read_seq=chat.last_seq))
        created = [_notice(chat.chat_id, user, "member_added", p) for p in people]
    for person in people:
        added = member_of(chat.chat_id, person.user_id)
        events.member_added(chat.chat_id, payloads.member(added))
    announce_new_chat(chat, [p.user_id for p in people])
    _publish_notices(created)
    return people


def _end_membership(chat_id: int, target_id: int, reason: str) -> None:
    """Tell the chat a member is gone, then take that person's sockets out of its room."""
    events.member_removed(chat_id, target_id, reason)
    leave_chat_room([target_id], chat_id)


def remove_member(user: User, chat_id, target_id) -> User:
    """Remove someone from a group: the owner removes anyone, an admin plain members."""
    with write_transaction():
        membership = access_chat(user, chat_id)
        require_group(membership.chat)
        require_role(membership, OWNER, ADMIN)
        target = member_of(membership.chat_id, target_id)
        if target.user_id == user.user_id:
            raise ValidationError("To leave a group, use leave.", code="cannot_remove_self")
        if membership.privilege == ADMIN and target.privilege != MEMBER:
            raise Forbidden("Admins can remove members only.", code="insufficient_role")
        target_user = target.user
        db.session.delete(target)
        notice = _notice(membership.chat_id, user, "member_removed", target_user)
    chat_id = notice.chat_id
    _publish_notices([notice])
    _end_membership(chat_id, target_user.user_id, "removed")
    return target_user


def set_role(user: User, chat_id, target_id, privilege) -> Membership:
    """Promote a member to admin or demote an admin to member (owner only)."""
    if privilege not in (ADMIN, MEMBER):
        raise ValidationError("A role is admin or member; ownership is transferred instead.",
                              code="invalid_role", field="privilege")
    with write_transaction():
        membership = access_chat(user, chat_id)
        require_group(membership.chat)
        require_role(membership, OWNER)
        target = member_of(membership.chat_id, target_id)
        if target.privilege == OWNER:
            raise ValidationError("The owner's role changes by transferring ownership.",
                                  code="invalid_role", field="privilege")
        if target.privilege == privilege:
            raise Conflict(f"They are already {'an admin' if privilege == ADMIN else 'a member'}.",
                           code="role_unchanged")
        target.privilege = Privilege(privilege)
        target.update_time = now()
        kind = "admin_granted" if privilege == ADMIN else "admin_revoked"
        notice = _notice(membership.chat_id, user, kind, target.user)
    events.role_changed(notice.chat_id, target.user_id, str(privilege))
    _publish_notices([notice])
    return target


def transfer_ownership(user: User, chat_id, target_id) -> None:
    """Make another member the owner; the old owner becomes an admin."""
    with write_transaction():
        membership = access_chat(user, chat_id)
        require_group(membership.chat)
        require_role(membership, OWNER)
        target = member_of(membership.chat_id, target_id)
        if target.user_id == user.user_id:
            raise ValidationError("You already own this group.", code="invalid_member")
        timestamp = now()
        membership.privilege, membership.update_time = ADMIN, timestamp
        db.session.flush()  # one owner at a time
        target.privilege, target.update_time = OWNER, timestamp
        notice = _notice(membership.chat_id, user, "ownership_transferred", target.user)
    events.role_changed(notice.chat_id, user.user_id, "admin")
    events.role_changed(notice.chat_id, target.user_id, "owner")
    _publish_notices([notice])


def leave_chat(user: User, chat_id) -> None:
    """Leave a group. The owner must hand over ownership first, unless alone in it."""
    with write_transaction():
        membership = access_chat(user, chat_id)
        chat = membership.chat
        if chat.is_private:
            raise ValidationError("A private chat cannot be left.", code="not_a_group")
        others = db.session.scalar(select(db.func.count()).select_from(Membership).where(
            Membership.chat_id == chat.chat_id, Membership.user_id != user.user_id))
        if membership.privilege == OWNER and others:
            raise Conflict("Make someone else the owner before you leave.",
                           code="owner_must_transfer")
        chat_id = chat.chat_id
        if not others:
            doomed = files_in_chat(chat_id)
            search.unindex_chat(chat_id)
            db.session.delete(chat)  # the last one out: the group is gone
            notice = None
        else:
            db.session.delete(membership)
            notice = _notice(chat_id, user, "member_left")
    if notice is None:
        _dissolved(chat_id, doomed)
        return
    _publish_notices([notice])
    _end_membership(chat_id, user.user_id, "left")


def dissolve_chat(user: User, chat_id) -> None:
    """Delete a group with its history for everyone (owner only)."""
    with write_transaction():
        membership = access_chat(user, chat_id)
        require_group(membership.chat)
        require_role(membership, OWNER)
        chat_id = membership.chat_id
        doomed = files_in_chat(chat_id)
        search.unindex_chat(chat_id)
        db.session.execute(delete(Chat).where(Chat.chat_id == chat_id))
    _dissolved(chat_id, doomed)


def _dissolved(chat_id: int, files: list[str]) -> None:
    """After a group is deleted: its files go (but those forwarded elsewhere), its members are
    told, its room closes."""
    storage.remove_unused(files)
    events.chat_dissolved(chat_id)
    close_chat_room(chat_id)


def withdraw_from_groups(user: User):
    """Inside the caller's write transaction: take ``user`` out of every group (their account
    is being deleted). A departing owner hands the group to its longest-standing admin, else
    its longest-standing member; a group nobody else is in is deleted. Private chats stay, for
    the other person. Returns what to announce once the transaction has committed."""
    notices_, heirs, ended, dissolved = [], [], [], []
    groups = db.session.scalars(select(Membership).join(Chat).where(
        Membership.user_id == user.user_id, Chat.is_private.is_(False)))
    for membership in list(groups):
        chat_id = membership.chat_id
        others = list(db.session.scalars(select(Membership).where(
            Membership.chat_id == chat_id, Membership.user_id != user.user_id)
            .order_by(Membership.id)))
        if not others:
            dissolved.append((chat_id, files_in_chat(chat_id)))
            search.unindex_chat(chat_id)
            db.session.execute(delete(Chat).where(Chat.chat_id == chat_id))
            continue
        was_owner = membership.privilege == OWNER
        db.session.delete(membership)
        db.session.flush()  # one owner at a time
        if was_owner:
            heir = next((m for m in others if m.privilege == ADMIN), others[0])
            heir.privilege, heir.update_time = OWNER, now()
            notices_.append(_notice(chat_id, user, "ownership_transferred", heir.user))
            heirs.append((chat_id, heir.user_id))
        notices_.append(_notice(chat_id, user, "member_left"))
        ended.append(chat_id)

    def announce() -> None:
        for chat_id, heir_id in heirs:
            events.role_changed(chat_id, heir_id, "owner")
        _publish_notices(notices_)
        for chat_id in ended:
            _end_membership(chat_id, user.user_id, "left")
        for chat_id, files in dissolved:
            _dissolved(chat_id, files)

    return announce
