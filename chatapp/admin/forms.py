"""Admin page forms (Flask-WTF: CSRF on every one)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length

from ..models import USER_NAME_MAX


class DeleteUserForm(FlaskForm):
    confirm_name = StringField(_l("Type the user name to confirm"),
                               validators=[InputRequired(), Length(max=USER_NAME_MAX)])
    remove_messages = BooleanField(
        _l("Also remove their messages (text and files) from every chat"))
