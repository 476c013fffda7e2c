"""Chat pages: the home page and chat list with "new group", and one chat's timeline.

A group's settings (the page and its forms) are in group_views.py."""

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from .. import payloads
from ..errors import ChatappError
from ..extensions import db
from ..http_input import parse_id
from ..limits import HISTORY_PAGE, HISTORY_PAGE_MAX, MSG_TEXT_MAX
from ..models import Privilege, now
from ..services import chats, friends, groups, messages
from ..web import show_error
from . import bp
from .forms import NewGroupForm
from .group_details import group_details

OWNER, ADMIN, MEMBER = Privilege.OWNER, Privilege.ADMIN, Privilege.MEMBER
TIMELINE_SIZE = HISTORY_PAGE_MAX  # messages in the page; static/js/chat/conversation.js loads more

# The events that change what each page shows (static/js/refresh.js refreshes on them).
FRIEND_EVENTS = "friend_request_accepted friend_removed"
CHAT_EVENTS = ("chat_created chat_renamed member_added member_removed role_changed "
               "chat_dissolved message_created message_recalled")
# On a chat's own page static/js/chat/conversation.js shows messages, reads and recalls as
# they come; refresh.js only refreshes the header and the members for the rest.
CHAT_PAGE_EVENTS = ("chat_created chat_renamed member_added member_removed role_changed "
                    "chat_dissolved message_pinned chat_notify_changed")


# --- the unread badge of the top bar ------------------------------------------------------


@bp.app_context_processor
def _unread_badge():
    # Every page's top bar shows what waits in the chats (static/js/unread.js keeps it current).
    return {"unread_state": _unread_state}


def _unread_state() -> dict | None:
    """The signed-in user's unread messages: the total, and per chat [count, highest seq];
    and the chats that do not notify of every message ({chat id: "mentions" | "none"})."""
    if not current_user.is_authenticated:
        return None
    try:
        counts = chats.unread_counts(current_user)
        quiet = chats.quiet_chats(current_user)
    except SQLAlchemyError:  # the error page of a database outage still renders, badgeless
        db.session.rollback()
        return None
    return {"total": sum(count for count, _top in counts.values()),
            "chats": {str(chat_id): list(value) for chat_id, value in counts.items()},
            "quiet": {str(chat_id): level for chat_id, level in quiet.items()}}


# --- the chat list -------------------------------------------------------------------------


@bp.route("/chats")
@login_required
def chat_list():
    """The user's chats, and a form to start a group."""
    return chat_list_page()


@bp.route("/")
@login_required
def index():
    """Home: the chat list, with a greeting.

    Rendered here rather than redirected to /chats, so "/" stays the address people land on
    after logging in or registering.
    """
    return chat_list_page(greeting=True)


def chat_list_page(greeting: bool = False, form: NewGroupForm | None = None, status: int = 200):
    """Render the chat list; ``greeting`` adds the welcome of the home page."""
    return render_template(
        "chats/list.html", chats=chats.list_chats(current_user),
        friends=friends.list_friends(current_user), form=form or NewGroupForm(formdata=None),
        greeting=greeting, today=datetime.now(UTC).strftime("%Y-%m-%d"),
        live_events=f"{CHAT_EVENTS} {FRIEND_EVENTS} messages_read",
    ), status


@bp.route("/chats", methods=["POST"])
@login_required
def create_group():
    """Start a group with some friends; the creator owns it."""
    form = NewGroupForm()
    if form.validate_on_submit():
        try:
            chat = groups.create_group(current_user, form.chat_name.data, form.member_ids.data)
        except ChatappError as error:
            show_error(form, error)
            return chat_list_page(form=form, status=error.status)
        flash(_("Group “%(name)s” created.", name=chat.chat_name), "success")
        return redirect(url_for("chats.chat_page", chat_id=chat.chat_id))
    return chat_list_page(form=form, status=400)


# --- one chat ------------------------------------------------------------------------------


@bp.route("/chats/<id:chat_id>")
@login_required
def chat_page(chat_id):
    """One chat: its header, its latest messages (or those around ``?around=<msg_id>``, the
    link of a search result), and the composer. A stale or edited ``around`` shows the newest."""
    return _chat_page(chat_id, around=request.args.get("around", type=parse_id))


def _chat_page(chat_id: int, around: int | None = None, status: int = 200, **forms):
    """The chat page; ``forms`` (a group's settings forms with errors) open its side panel."""
    chat = chats.chat_details(current_user, chat_id)
    page = None
    if around:
        try:
            page = messages.history(current_user, chat_id, around=around, limit=TIMELINE_SIZE)
        except ChatappError as error:
            if error.code != "message_not_found":
                raise
            around = None  # not a message of this chat: show the newest instead
    if page is None:
        page = messages.history(current_user, chat_id, limit=TIMELINE_SIZE)
    config = current_app.config
    # What static/js/chat/conversation.js needs besides the messages (#chat-page, which it draws:
    # the server never renders a message); its limits are hints, services decide.
    client = {
        "chat": chat, "me": payloads.user_public(current_user),
        "recall_window": config["RECALL_WINDOW_SECONDS"],
        "edit_window": config["EDIT_WINDOW_SECONDS"], "text_max": MSG_TEXT_MAX,
        "history_page": HISTORY_PAGE, "history_page_max": HISTORY_PAGE_MAX,
        "upload_max": config["UPLOAD_MAX_BYTES"], "now": now(),
        "urls": {"chat": url_for("chats_api.chat_details", chat_id=chat_id),
                 "messages": url_for("chats_api.history", chat_id=chat_id),
                 "changes": url_for("chats_api.changes", chat_id=chat_id),
                 "pins": url_for("chats_api.pins", chat_id=chat_id),
                 "notify": url_for("chats_api.set_notify", chat_id=chat_id),
                 "files": url_for("chats_api.post_file", chat_id=chat_id)},
    }
    return render_template("chats/chat.html", chat=chat,
                           page={**page, "around": around}, client=client,
                           chats=chats.list_chats(current_user),
                           today=datetime.now(UTC).strftime("%Y-%m-%d"),
                           details=None if chat["is_private"] else group_details(chat, **forms),
                           panel_open=bool(forms), live_events=CHAT_PAGE_EVENTS), status


@bp.route("/chats/sidebar")
@login_required
def sidebar_part():
    """The chats beside a conversation, alone (static/js/switcher.js keeps it current);
    ``current`` is the chat on screen."""
    return render_template("chats/sidebar.html", chats=chats.list_chats(current_user),
                           today=datetime.now(UTC).strftime("%Y-%m-%d"),
                           current=request.args.get("current", type=parse_id))
