"""Admin pages: figures, the account list, and actions on one account."""

from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..database import schema_revisions
from ..errors import ChatappError, ValidationError
from ..services import account_deletion, accounts, administration, password_reset
from ..web import EmptyForm, flash_error, show_error
from . import bp
from .forms import DeleteUserForm


def site_admin_required(view):
    """Logged in (else the log-in page) and a site admin (else 404, as for no such page)."""

    @wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return guarded


def _target(user_id):
    user = administration.user_by_id(user_id)
    if user is None:
        abort(404)
    return user


def _not_yourself(user) -> None:
    if user.user_id == current_user.user_id:
        raise ValidationError("Administrators cannot disable or delete their own account here.",
                              code="cannot_act_on_self")


@bp.get("/")
@site_admin_required
def index():
    """The server's figures."""
    current, head = schema_revisions(current_app._get_current_object())
    return render_template("admin/index.html", figures=administration.server_figures(),
                           schema={"current": current, "head": head})


@bp.get("/users")
@site_admin_required
def users():
    """Accounts, searched by name or email, a page at a time."""
    query = request.args.get("q", "", type=str)[:100]
    page = request.args.get("page", 1, type=int)
    rows, more = administration.list_users(query, page)
    return render_template("admin/users.html", users=rows, query=query, page=max(1, page),
                           more=more)


@bp.get("/users/<id:user_id>")
@site_admin_required
def user(user_id):
    """One account, with the actions on it."""
    return _user_page(_target(user_id))


def _user_page(user, status=200, **context):
    context.setdefault("delete_form", DeleteUserForm())
    return render_template("admin/user.html", user=user, action_form=EmptyForm(),
                           **context), status


@bp.post("/users/<id:user_id>/disable")
@site_admin_required
def disable(user_id):
    """Disable the account: it cannot log in, its sessions and sockets end."""
    return _set_active(_target(user_id), False)


@bp.post("/users/<id:user_id>/enable")
@site_admin_required
def enable(user_id):
    """Enable a disabled account."""
    return _set_active(_target(user_id), True)


def _set_active(user, active: bool):
    if EmptyForm().validate_on_submit():
        try:
            if not active:
                _not_yourself(user)
            accounts.set_active(user, active)
        except ChatappError as error:
            flash_error(error)
        else:
            flash(_("%(name)s is enabled.", name=user.user_name) if active else
                  _("%(name)s is disabled; their sessions have ended.", name=user.user_name),
                  "success")
    return redirect(url_for("admin.user", user_id=user.user_id))


@bp.post("/users/<id:user_id>/reset-link")
@site_admin_required
def reset_link(user_id):
    """Make a password-reset link to hand to the user."""
    user = _target(user_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.user", user_id=user.user_id))
    token = password_reset.reset_token_for(user)
    base = current_app.config["PUBLIC_URL"] or request.host_url
    link = base.rstrip("/") + url_for("auth.reset_password", token=token)
    return _user_page(user, reset_link=link,
                      minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)


@bp.post("/users/<id:user_id>/delete")
@site_admin_required
def delete(user_id):
    """Delete the account (its name typed to confirm), with or without its messages."""
    user = _target(user_id)
    form = DeleteUserForm()
    if not form.validate_on_submit():
        return _user_page(user, 400, delete_form=form)
    try:
        _not_yourself(user)
        if form.confirm_name.data.strip().casefold() != user.user_name_key:
            raise ValidationError("That is not this account's name.", code="name_mismatch",
                                  field="confirm_name")
        name = user.user_name
        account_deletion.delete_account(user, by=current_user,
                                        remove_messages=form.remove_messages.data)
    except ChatappError as error:
        show_error(form, error)
        return _user_page(user, error.status, delete_form=form)
    flash(_("%(name)s's account was deleted.", name=name), "success")
    return redirect(url_for("admin.users"))
