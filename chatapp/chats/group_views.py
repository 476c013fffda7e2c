"""A group's settings: the page (/chats/<id>/settings) and the forms it and the chat page's
side panel post (rename, add, roles, ownership, remove, leave, dissolve)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ChatappError
from ..models import Privilege
from ..services import chats, groups
from ..web import EmptyForm, flash_error, show_error
from . import bp
from .forms import AddMembersForm, DissolveForm, RenameForm, RoleForm
from .group_details import group_details
from .views import CHAT_EVENTS, FRIEND_EVENTS, _chat_page

OWNER, ADMIN = Privilege.OWNER, Privilege.ADMIN


def _role_changed(target) -> str:
    name = target.user.user_name
    if target.privilege == OWNER:
        return _("%(name)s is the owner now.", name=name)
    if target.privilege == ADMIN:
        return _("%(name)s is an admin now.", name=name)
    return _("%(name)s is a member now.", name=name)


def _settings_page(chat_id: int, status: int = 200, **forms):
    if forms and request.form.get("back") == "chat":  # a form of the chat page's side panel
        return _chat_page(chat_id, status=status, **forms)
    chat = chats.chat_details(current_user, chat_id)
    if chat["is_private"]:
        abort(404)
    return render_template(
        "chats/settings.html", chat=chat, **group_details(chat, **forms),
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
