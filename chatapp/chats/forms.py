"""Chat forms (Flask-WTF: CSRF on every one). Who may do what is decided by the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField
from wtforms.validators import DataRequired

from ..http_input import parse_id


class MemberIdsField(SelectMultipleField):
    """Checked user ids. Any id is accepted here: the service says who may be added."""

    def __init__(self, label=None, **kwargs):
        # parse_id: an id the database can hold, or a field error (not an overflow).
        # default: none ticked is an empty list, whether or not the form sent the field.
        super().__init__(label, coerce=parse_id, validate_choice=False, default=list, **kwargs)


class NewGroupForm(FlaskForm):
    chat_name = StringField(_l("Group name"))
    member_ids = MemberIdsField(_l("Members"))


class RenameForm(FlaskForm):
    chat_name = StringField(_l("Group name"))


class AddMembersForm(FlaskForm):
    member_ids = MemberIdsField(_l("Friends to add"))


class RoleForm(FlaskForm):
    privilege = HiddenField()


class DissolveForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that the group and all its messages are deleted for everyone."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
