"""What a group's details show (templates/chats/_group_details.html): the settings page, and
the side panel of the chat page."""

from flask_login import current_user

from ..models import Privilege
from ..services import friends
from ..web import EmptyForm
from .forms import AddMembersForm, DissolveForm, RenameForm

OWNER, ADMIN, MEMBER = Privilege.OWNER, Privilege.ADMIN, Privilege.MEMBER


def _member_actions(viewer: str, member: dict, is_self: bool) -> list[str]:
    """Which buttons to offer beside a member. Only a hint: the service decides."""
    if is_self:
        return []
    if viewer == OWNER:
        role = "make_member" if member["privilege"] == ADMIN else "make_admin"
        return [role, "make_owner", "remove"]
    if viewer == ADMIN and member["privilege"] == MEMBER:
        return ["remove"]
    return []


def group_details(chat: dict, **forms) -> dict:
    """What templates/chats/_group_details.html shows of a group: the settings page, and the
    side panel of the chat page."""
    viewer = chat["privilege"]
    me = current_user.user_id
    member_ids = {m["user"]["user_id"] for m in chat["members"]}
    forms.setdefault("rename_form", RenameForm(formdata=None, chat_name=chat["chat_name"]))
    forms.setdefault("add_form", AddMembersForm(formdata=None))
    forms.setdefault("dissolve_form", DissolveForm(formdata=None))
    return dict(
        me=me,
        members=[{**m, "is_self": m["user"]["user_id"] == me,
                  "actions": _member_actions(viewer, m, m["user"]["user_id"] == me)}
                 for m in chat["members"]],
        can_manage=viewer in (OWNER, ADMIN), is_owner=viewer == OWNER,
        addable=[f for f in friends.list_friends(current_user) if f.user_id not in member_ids],
        alone=len(chat["members"]) == 1, action_form=EmptyForm(), **forms,
    )
