"""Friend forms (Flask-WTF: CSRF on every posted one). Product rules live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SearchField, StringField
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from ..models import FRIEND_NOTE_MAX, USER_NAME_MAX
from ..schemas import MAX_ID


class SearchForm(FlaskForm):
    """The people search: a GET form, so it reads the query string and carries no token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Find people by user name"), validators=[Length(max=USER_NAME_MAX)])


class FriendRequestForm(FlaskForm):
    """Ask one person of the search results to be friends."""

    user_id = IntegerField(widget=HiddenInput(),
                           validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    note = StringField(_l("Note (optional)"), validators=[Length(max=FRIEND_NOTE_MAX)])
    # The search the form was sent from, to show it again afterwards.
    q = HiddenField()
