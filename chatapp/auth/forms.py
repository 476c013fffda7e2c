"""Account forms (Flask-WTF: CSRF on every one). Product rules live in the services."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from ..i18n import LANGUAGES
from ..models import USER_EMAIL_MAX, USER_NAME_MAX


class LoginForm(FlaskForm):
    user_name = StringField("User name", validators=[InputRequired(), Length(max=USER_NAME_MAX)])
    password = PasswordField("Password", validators=[InputRequired()])
    remember = BooleanField("Keep me logged in")


class RegisterForm(FlaskForm):
    user_name = StringField("User name", validators=[InputRequired(), Length(max=USER_NAME_MAX)])
    password = PasswordField("Password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat password",
        validators=[InputRequired(), EqualTo("password", message="The passwords differ.")],
    )
    email = EmailField("Email (optional)", validators=[Optional(), Length(max=USER_EMAIL_MAX)])


class ProfileForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=USER_EMAIL_MAX)])
    locale = SelectField(_l("Language"), default="", choices=[
        SelectChoice("", _l("Same as the browser")),
        *(SelectChoice(code, name) for code, name in LANGUAGES.items())])


class AvatarForm(FlaskForm):
    avatar = FileField("Avatar image", validators=[FileRequired("Choose an image.")])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: logout, remove avatar."""


class NewPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat new password",
        validators=[InputRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class PasswordForm(NewPasswordForm):
    current_password = PasswordField("Current password", validators=[InputRequired()])
