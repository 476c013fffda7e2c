"""Account pages: register, log in, log out, profile, avatar, password, reset link."""

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ChatappError
from ..extensions import limiter
from ..services import account_deletion, accounts, mail, password_reset
from ..web import EmptyForm, flash_error, show_error
from . import api_views, bp
from .forms import (
    AvatarForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
)
from .session import (
    end_this_session,
    log_in,
    log_out,
    rate_limit,
    refresh_session,
    safe_next,
)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(rate_limit("REGISTER_RATE_LIMIT"), methods=["POST"])
def register():
    """Create an account and log in to it."""
    if current_user.is_authenticated:
        return redirect(url_for("chats.index"))
    form = RegisterForm()
    if form.is_submitted():
        try:
            if form.validate():
                user = accounts.register_user(form.user_name.data, form.password.data,
                                              form.email.data)
                log_in(user, remember=False)
                flash(_("Welcome to chatapp, %(name)s!", name=user.user_name), "success")
                return redirect(url_for("chats.index"))
            # The form's own mistakes (a field left empty, passwords that differ) come with
            # every account rule the rest breaks: all of them in one answer.
            accounts.check_new_account(form.user_name.data or "", form.password.data or "",
                                       form.email.data)
        except ChatappError as error:
            show_error(form, error)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(rate_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def login():
    """Log in with a user name and password."""
    if current_user.is_authenticated:
        return redirect(url_for("chats.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.user_name.data, form.password.data)
            log_in(user, remember=form.remember.data)
        except ChatappError as error:
            flash_error(error)
            return render_template("auth/login.html", form=form), error.status
        return redirect(safe_next(request.args.get("next")) or url_for("chats.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.context_processor
def _mail_links():
    # The log-in and reset pages offer "forgot password" only when this server sends mail.
    return {"mail_enabled": mail.enabled()}


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.shared_limit(rate_limit("RESET_MAIL_RATE_LIMIT"), scope="reset_mail", methods=["POST"])
def forgot_password():
    """Ask for a reset link by mail; the answer is the same whether an account matched or not."""
    mail.require_enabled()
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        mail.send_password_reset(form.name_or_email.data)
        minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
        flash(_("If an account with an email address matches, a link to set a new password is "
                "on its way. It works once, for %(minutes)s minutes.", minutes=minutes), "info")
        return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out here and everywhere else."""
    form = EmptyForm()
    if form.validate_on_submit():
        log_out(current_user)
        flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Show the profile; POST saves the email address."""
    form = ProfileForm(obj=None)
    if request.method == "GET":
        form.email.data = current_user.user_email
        form.locale.data = current_user.locale or ""
    elif form.validate_on_submit():
        try:
            accounts.update_profile(current_user, form.email.data)
            accounts.set_locale(current_user, form.locale.data or None)
        except ChatappError as error:
            show_error(form, error)
        else:
            flash(_("Profile saved."), "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(profile_form=form)


def _profile_page(status=None, **forms):
    forms.setdefault("profile_form", ProfileForm(email=current_user.user_email,
                                                 locale=current_user.locale or ""))
    forms.setdefault("avatar_form", AvatarForm())
    forms.setdefault("password_form", PasswordForm())
    forms.setdefault("remove_avatar_form", EmptyForm())
    forms.setdefault("delete_form", DeleteAccountForm())
    submitted = any(f.is_submitted() and f.errors for f in forms.values())
    return render_template("auth/profile.html", **forms), status or (400 if submitted else 200)


@bp.route("/profile/avatar", methods=["POST"])
@login_required
def upload_avatar():
    """Replace the avatar with an uploaded image."""
    form = AvatarForm()
    if form.validate_on_submit():
        try:
            accounts.set_avatar(current_user, form.avatar.data.stream)
        except ChatappError as error:
            show_error(form, error)
            return _profile_page(avatar_form=form, status=error.status)
        flash(_("Avatar updated."), "success")
        return redirect(url_for("auth.profile"))
    return _profile_page(avatar_form=form)


@bp.route("/profile/avatar/delete", methods=["POST"])
@login_required
def delete_avatar():
    """Go back to the default avatar."""
    if EmptyForm().validate_on_submit():
        accounts.remove_avatar(current_user)
        flash(_("Avatar removed."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/profile/password", methods=["POST"])
@login_required
def change_password():
    """Change the password; every other session ends, this one stays."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except ChatappError as error:
            show_error(form, error)
            return _profile_page(password_form=form, status=error.status)
        refresh_session(user)
        flash(_("Password changed. Other sessions were logged out."), "success")
        return redirect(url_for("auth.profile"))
    return _profile_page(password_form=form)


@bp.route("/profile/delete", methods=["POST"])
@login_required
def delete_account():
    """Delete one's own account, confirmed with the password; then the log-in page."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            account_deletion.delete_own_account(current_user, form.password.data)
        except ChatappError as error:
            show_error(form, error)
            return _profile_page(delete_form=form, status=error.status)
        end_this_session()
        flash(_("Your account was deleted."), "success")
        return redirect(url_for("auth.login"))
    return _profile_page(delete_form=form)


@bp.route("/profile/export")
@login_required
def export_data():
    """Download the zip of one's own data: the same as ``GET /api/me/export``, with errors
    (a rate limit) shown as pages."""
    return api_views.export_me()


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Set a new password with a link made by ``flask users reset-link`` or mailed."""
    try:
        user = password_reset.user_for_reset_token(token)
    except ChatappError as error:
        flash_error(error)
        return render_template("auth/reset.html", form=None), error.status
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.new_password.data)
        except ChatappError as error:
            show_error(form, error)
        else:
            flash(_("Password set. Log in with the new password."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/reset.html", form=form, user=user), status
