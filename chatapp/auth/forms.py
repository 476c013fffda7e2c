"""Account forms (Flask-WTF: CSRF on every one). Product rules live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from ..i18n import LANGUAGES
from ..models import USER_EMAIL_MAX, USER_NAME_MAX


class LoginForm(FlaskForm):
    user_name = StringField(_l("User name"),
                            validators=[InputRequired(), Length(max=USER_NAME_MAX)])
    password = PasswordField(_l("Password"), validators=[InputRequired()])
    remember = BooleanField(_l("Keep me logged in"))


class RegisterForm(FlaskForm):
    user_name = StringField(_l("User name"),
                            validators=[InputRequired(), Length(max=USER_NAME_MAX)])
    password = PasswordField(_l("Password"), validators=[InputRequired()])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=USER_EMAIL_MAX)])


class ProfileForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=USER_EMAIL_MAX)])
    locale = SelectField(_l("Language"), default="", choices=[
        SelectChoice("", _l("Same as the browser")),
        *(SelectChoice(code, name) for code, name in LANGUAGES.items())])


class AvatarForm(FlaskForm):
    avatar = FileField(_l("Avatar image"), validators=[FileRequired(_l("Choose an image."))])


class ForgotPasswordForm(FlaskForm):
    name_or_email = StringField(_l("User name or email"),
                                validators=[InputRequired(), Length(max=USER_EMAIL_MAX)])


class NewPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[InputRequired()])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[InputRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class PasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired()])


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[InputRequired()])
