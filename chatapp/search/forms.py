"""The message search form: a GET form, so it reads the query string and carries no token.

The form only names and labels the fields; the search service decides what is valid (dates,
kinds, chats), so the page and the JSON API refuse the same things with the same words.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

KIND_CHOICES = [SelectChoice(value, label) for value, label in (
    ("", _l("Any kind")), ("text", _l("Text")), ("image", _l("Images")), ("audio", _l("Audio")),
    ("video", _l("Video")), ("file", _l("Other files")), ("files", _l("Any file")))]
DATE = {"type": "date", "placeholder": "YYYY-MM-DD"}


class MessageSearchForm(FlaskForm):
    """Words to find, and the filters of ``GET /api/search`` under the same names."""

    class Meta:
        csrf = False

    q = SearchField(_l("Words to find"), id="search-q")
    # The choices depend on the user: ``with_choices`` fills them in.
    chat_id = SelectField(_l("Chat"), validate_choice=False)
    sender_id = SelectField(_l("Sent by"), validate_choice=False)
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validate_choice=False)
    date_from = StringField(_l("From date"), name="from", id="search-from", render_kw=DATE)
    date_to = StringField(_l("To date"), name="to", id="search-to", render_kw=DATE)
    # "me": list the messages that mention the reader (with no words to find).
    mentions = BooleanField(_l("Only mentions of me"), id="search-mentions",
                            false_values=("", "false", "0"), render_kw={"value": "me"})
    # The reader's IANA time zone, which the dates are days of: page.js fills in the browser's.
    tz = HiddenField(id="search-tz", render_kw={"data-time-zone": True})

    def with_choices(self, chats, people) -> "MessageSearchForm":
        """Offer the user's ``chats`` (summaries) and ``people`` ((user_id, name) pairs)."""
        self.chat_id.choices = [SelectChoice("", _l("All chats")), *(
            SelectChoice(str(c["chat_id"]), c["chat_name"]) for c in chats)]
        self.sender_id.choices = [SelectChoice("", _l("Anyone")), *(
            SelectChoice(str(user_id), name) for user_id, name in people)]
        return self
