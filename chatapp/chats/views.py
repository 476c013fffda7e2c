"""Chat pages: the chat list with "new group", one chat's timeline, and a group's settings."""

from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from .. import payloads
from ..errors import ChatappError
from ..extensions import db
from ..http_input import parse_id
from ..limits import HISTORY_PAGE, HISTORY_PAGE_MAX, MSG_TEXT_MAX
from ..models import Privilege, now
from ..services import chats, friends, groups, messages
from ..web import EmptyForm, flash_error, show_error
from . import bp
from .forms import AddMembersForm, DissolveForm, NewGroupForm, RenameForm, RoleForm

OWNER, ADMIN, MEMBER = Privilege.OWNER, Privilege.ADMIN, Privilege.MEMBER
TIMELINE_SIZE = HISTORY_PAGE_MAX  # messages in the page; static/js/chat/conversation.js loads more

# The events that change what each page shows (static/js/refresh.js refreshes on them).
FRIEND_EVENTS = "friend_request_accepted friend_removed"
CHAT_EVENTS = ("chat_created chat_renamed member_added member_removed role_changed "
               "chat_dissolved message_created message_recalled")
# On a chat's own page static/js/chat/conversation.js shows messages, reads and recalls as
# they come; refresh.js only refreshes the header and the members for the rest.
CHAT_PAGE_EVENTS = ("chat_created chat_renamed member_added member_removed role_changed "
                    "chat_dissolved")


# --- the unread badge of the top bar ------------------------------------------------------


@bp.app_context_processor
def _unread_badge():
    # Every page's top bar shows what waits in the chats (static/js/unread.js keeps it current).
    return {"unread_state": _unread_state}


def _unread_state() -> dict | None:
    """The signed-in user's unread messages: the total, and per chat [count, highest seq]."""
    if not current_user.is_authenticated:
        return None
    try:
        counts = chats.unread_counts(current_user)
    except SQLAlchemyError:  # the error page of a database outage still renders, badgeless
        db.session.rollback()
        return None
    return {"total": sum(count for count, _top in counts.values()),
            "chats": {str(chat_id): list(value) for chat_id, value in counts.items()}}


# --- the chat list -------------------------------------------------------------------------


@bp.route("/chats")
@login_required
def chat_list():
    """The user's chats, and a form to start a group."""
    return chat_list_page()


@bp.route("/")
@login_required
def index():
    """Home: the chat list, with a greeting.

    Rendered here rather than redirected to /chats, so "/" stays the address people land on
    after logging in or registering.
    """
    return chat_list_page(greeting=True)


def chat_list_page(greeting: bool = False, form: NewGroupForm | None = None, status: int = 200):
    """Render the chat list; ``greeting`` adds the welcome of the home page."""
    return render_template(
        "chats/list.html", chats=chats.list_chats(current_user),
        friends=friends.list_friends(current_user), form=form or NewGroupForm(formdata=None),
        greeting=greeting, today=datetime.now(UTC).strftime("%Y-%m-%d"),
        live_events=f"{CHAT_EVENTS} {FRIEND_EVENTS} messages_read",
    ), status


@bp.route("/chats", methods=["POST"])
@login_required
def create_group():
    """Start a group with some friends; the creator owns it."""
    form = NewGroupForm()
    if form.validate_on_submit():
        try:
            chat = groups.create_group(current_user, form.chat_name.data, form.member_ids.data)
        except ChatappError as error:
            show_error(form, error)
            return chat_list_page(form=form, status=error.status)
        flash(_("Group “%(name)s” created.", name=chat.chat_name), "success")
        return redirect(url_for("chats.chat_page", chat_id=chat.chat_id))
    return chat_list_page(form=form, status=400)


# --- one chat ------------------------------------------------------------------------------


@bp.route("/chats/<id:chat_id>")
@login_required
def chat_page(chat_id):
    """One chat: its header, its latest messages (or those around ``?around=<msg_id>``, the
    link of a search result), and the composer. A stale or edited ``around`` shows the newest."""
    return _chat_page(chat_id, around=request.args.get("around", type=parse_id))


def _chat_page(chat_id: int, around: int | None = None, status: int = 200, **forms):
    """The chat page; ``forms`` (a group's settings forms with errors) open its side panel."""
    chat = chats.chat_details(current_user, chat_id)
    page = None
    if around:
        try:
            page = messages.history(current_user, chat_id, around=around, limit=TIMELINE_SIZE)
        except ChatappError as error:
            if error.code != "message_not_found":
                raise
            around = None  # not a message of this chat: show the newest instead
    if page is None:
        page = messages.history(current_user, chat_id, limit=TIMELINE_SIZE)
    config = current_app.config
    # What static/js/chat/conversation.js needs besides the messages (#chat-page, which it draws:
    # the server never renders a message); its limits are hints, services decide.
    client = {
        "chat": chat, "me": payloads.user_public(current_user),
        "recall_window": config["RECALL_WINDOW_SECONDS"], "text_max": MSG_TEXT_MAX,
        "history_page": HISTORY_PAGE, "history_page_max": HISTORY_PAGE_MAX,
        "upload_max": config["UPLOAD_MAX_BYTES"], "now": now(),
        "urls": {"chat": url_for("chats_api.chat_details", chat_id=chat_id),
                 "messages": url_for("chats_api.history", chat_id=chat_id),
                 "files": url_for("chats_api.post_file", chat_id=chat_id)},
    }
    return render_template("chats/chat.html", chat=chat,
                           page={**page, "around": around}, client=client,
                           chats=chats.list_chats(current_user),
                           today=datetime.now(UTC).strftime("%Y-%m-%d"),
                           details=None if chat["is_private"] else _group_details(chat, **forms),
                           panel_open=bool(forms), live_events=CHAT_PAGE_EVENTS), status


@bp.route("/chats/sidebar")
@login_required
def sidebar_part():
    """The chats beside a conversation, alone (static/js/switcher.js keeps it current);
    ``current`` is the chat on screen."""
    return render_template("chats/sidebar.html", chats=chats.list_chats(current_user),
                           today=datetime.now(UTC).strftime("%Y-%m-%d"),
                           current=request.args.get("current", type=parse_id))


# --- group settings ------------------------------------------------------------------------


def _role_changed(target) -> str:
    name = target.user.user_name
    if target.privilege == OWNER:
        return _("%(name)s is the owner now.", name=name)
    if target.privilege == ADMIN:
        return _("%(name)s is an admin now.", name=name)
    return _("%(name)s is a member now.", name=name)


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


def _group_details(chat: dict, **forms) -> dict:
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


def _settings_page(chat_id: int, status: int = 200, **forms):
    if forms and request.form.get("back") == "chat":  # a form of the chat page's side panel
        return _chat_page(chat_id, status=status, **forms)
    chat = chats.chat_details(current_user, chat_id)
    if chat["is_private"]:
        abort(404)
    return render_template(
        "chats/settings.html", chat=chat, **_group_details(chat, **forms),
        live_events=f"{CHAT_EVENTS} {FRIEND_EVENTS}",
    ), status


@bp.route("/chats/<id:chat_id>/settings")
@login_required
def settings(chat_id):
    """A group's name, members and roles, with the actions the viewer's role allows."""
    return _settings_page(chat_id)


def _failed(error: ChatappError):
    # Outsiders get the same 404 as for a chat that does not exist.
    if error.code == "chat_not_found":
        raise error
    flash_error(error)


def _done(done, result) -> str:
    return done(result) if callable(done) else done


def _back(chat_id: int):
    """Where a settings form returns: the chat (its side panel sent ``back=chat``) or the
    settings page."""
    if request.form.get("back") == "chat":
        return redirect(url_for("chats.chat_page", chat_id=chat_id))
    return redirect(url_for("chats.settings", chat_id=chat_id))


def _act(chat_id: int, call, done, form=None, to_list: bool = False):
    """Run one service call for a button form, flash how it went, go back."""
    if (form or EmptyForm()).validate_on_submit():
        try:
            result = call()
        except ChatappError as error:
            _failed(error)
            to_list = False
        else:
            flash(_done(done, result), "success")
    if to_list:
        return redirect(url_for("chats.chat_list"))
    return _back(chat_id)


def _submit(chat_id: int, form, form_name: str, call, done, to_list: bool = False):
    """Like ``_act`` for forms with fields: errors are shown beside the field they concern."""
    if form.validate_on_submit():
        try:
            result = call(form)
        except ChatappError as error:
            if error.code == "chat_not_found" or not error.field:
                _failed(error)
                return _back(chat_id)
            show_error(form, error)
            return _settings_page(chat_id, status=error.status, **{form_name: form})
        flash(_done(done, result), "success")
        if to_list:
            return redirect(url_for("chats.chat_list"))
        return _back(chat_id)
    return _settings_page(chat_id, status=400, **{form_name: form})


@bp.route("/chats/<id:chat_id>/rename", methods=["POST"])
@login_required
def rename(chat_id):
    """Rename a group."""
    return _submit(chat_id, RenameForm(), "rename_form",
                   lambda f: groups.rename_chat(current_user, chat_id, f.chat_name.data),
                   lambda chat: _("Renamed to “%(name)s”.", name=chat.chat_name))


@bp.route("/chats/<id:chat_id>/members", methods=["POST"])
@login_required
def add_members(chat_id):
    """Add friends to a group."""
    return _submit(chat_id, AddMembersForm(), "add_form",
                   lambda f: groups.add_members(current_user, chat_id, f.member_ids.data),
                   lambda people: _("Added %(names)s.",
                                    names=", ".join(p.user_name for p in people)))


@bp.route("/chats/<id:chat_id>/members/<id:user_id>/remove", methods=["POST"])
@login_required
def remove_member(chat_id, user_id):
    """Remove someone from a group."""
    return _act(chat_id, lambda: groups.remove_member(current_user, chat_id, user_id),
                _("Removed from the group."))


@bp.route("/chats/<id:chat_id>/members/<id:user_id>/role", methods=["POST"])
@login_required
def set_role(chat_id, user_id):
    """Make a member an admin, or an admin a plain member."""
    form = RoleForm()
    return _act(chat_id, lambda: groups.set_role(current_user, chat_id, user_id,
                                                form.privilege.data),
                _role_changed, form=form)


@bp.route("/chats/<id:chat_id>/members/<id:user_id>/owner", methods=["POST"])
@login_required
def transfer_ownership(chat_id, user_id):
    """Hand the group to another member; the old owner stays as an admin."""
    return _act(chat_id, lambda: groups.transfer_ownership(current_user, chat_id, user_id),
                _("Ownership handed over. You are an admin now."))


@bp.route("/chats/<id:chat_id>/leave", methods=["POST"])
@login_required
def leave(chat_id):
    """Leave a group."""
    return _act(chat_id, lambda: groups.leave_chat(current_user, chat_id),
                _("You left the group."), to_list=True)


@bp.route("/chats/<id:chat_id>/dissolve", methods=["POST"])
@login_required
def dissolve(chat_id):
    """Delete a group for everyone, once the owner ticked "I understand"."""
    return _submit(chat_id, DissolveForm(), "dissolve_form",
                   lambda f: groups.dissolve_chat(current_user, chat_id),
                   _("The group was dissolved."), to_list=True)
