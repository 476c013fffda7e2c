"""Chat forms (Flask-WTF: CSRF on every one). Who may do what is decided by the services."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField
from wtforms.validators import DataRequired


class MemberIdsField(SelectMultipleField):
    """Checked user ids. Any id is accepted here: the service says who may be added."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, coerce=int, validate_choice=False, **kwargs)


class NewGroupForm(FlaskForm):
    chat_name = StringField("Group name")
    member_ids = MemberIdsField("Members")


class RenameForm(FlaskForm):
    chat_name = StringField("Group name")


class AddMembersForm(FlaskForm):
    member_ids = MemberIdsField("Friends to add")


class RoleForm(FlaskForm):
    privilege = HiddenField()


class DissolveForm(FlaskForm):
    confirm = BooleanField(
        "I understand that the group and all its messages are deleted for everyone.",
        validators=[DataRequired("Tick the box to confirm.")],
    )
