"""Friend pages: find people, answer requests, list friends and open a chat with one."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ChatappError
from ..services import friends, private_chats
from ..web import EmptyForm, flash_error, show_error
from . import bp
from .forms import FriendRequestForm, SearchForm

# The events that change what this page shows (static/js/refresh.js refreshes on them).
LIVE_EVENTS = ("friend_request_received friend_request_sent friend_request_accepted "
               "friend_request_declined friend_request_cancelled friend_removed")


@bp.route("/friends")
@login_required
def friends_page():
    """Search results, pending requests both ways, and the friends list."""
    return _friends_page(SearchForm(request.args), request.args.get("after"))


def _friends_page(search: SearchForm, after=None, request_form=None, status=200):
    results, next_cursor = [], None
    query = (search.q.data or "").strip()
    if query and search.validate():
        try:
            results, next_cursor = friends.search_users(current_user, query, after)
        except ChatappError as error:
            show_error(search, error)
            status = error.status
    incoming, outgoing = friends.list_requests(current_user)
    friend_list = friends.list_friends(current_user)
    return render_template(
        "friends/index.html",
        search=search, query=query, results=results, next_cursor=next_cursor,
        incoming=incoming, outgoing=outgoing, friends=friend_list,
        friend_ids={f.user_id for f in friend_list},
        asked_by={r.sender_id: r for r in incoming},
        asked={r.receiver_id: r for r in outgoing},
        request_form=request_form, action_form=EmptyForm(),
        live_events=LIVE_EVENTS,
        page_url=url_for("friends.friends_page", q=query or None, after=after or None),
    ), status


@bp.route("/friends/requests", methods=["POST"])
@login_required
def send_request():
    """Send a friend request with an optional note."""
    form = FriendRequestForm()
    query = (form.q.data or "").strip()
    if form.validate_on_submit():
        try:
            sent = friends.send_friend_request(current_user, form.user_id.data, form.note.data)
        except ChatappError as error:
            show_error(form, error)
            return _friends_page(SearchForm(q=query), request_form=form, status=error.status)
        flash(_("Friend request sent to %(name)s.", name=sent.receiver.user_name), "success")
        return redirect(url_for("friends.friends_page", q=query or None))
    return _friends_page(SearchForm(q=query), request_form=form, status=400)


def _act(call, done):
    """Run one service call for a button form, flash how it went (``done`` words the
    result in the page's language), go back to the page."""
    if EmptyForm().validate_on_submit():
        try:
            result = call()
        except ChatappError as error:
            flash_error(error)
        else:
            flash(done(result), "success")
    return redirect(url_for("friends.friends_page"))


@bp.route("/friends/requests/<id:request_id>/accept", methods=["POST"])
@login_required
def accept_request(request_id):
    """Accept a request someone sent."""
    return _act(lambda: friends.accept_friend_request(current_user, request_id),
                lambda friend: _("You and %(name)s are friends now.", name=friend.user_name))


@bp.route("/friends/requests/<id:request_id>/decline", methods=["POST"])
@login_required
def decline_request(request_id):
    """Decline a request someone sent."""
    return _act(lambda: friends.decline_friend_request(current_user, request_id),
                lambda _result: _("Request declined."))


@bp.route("/friends/requests/<id:request_id>/cancel", methods=["POST"])
@login_required
def cancel_request(request_id):
    """Withdraw a request the user sent."""
    return _act(lambda: friends.cancel_friend_request(current_user, request_id),
                lambda _result: _("Request cancelled."))


@bp.route("/friends/<id:user_id>/remove", methods=["POST"])
@login_required
def remove_friend(user_id):
    """End a friendship (both directions); the private chat's history stays."""
    return _act(lambda: friends.remove_friend(current_user, user_id),
                lambda _result: _("Removed from your friends."))


@bp.route("/friends/<id:user_id>/message", methods=["POST"])
@login_required
def message_friend(user_id):
    """Open (creating the first time) the private chat with a friend."""
    if EmptyForm().validate_on_submit():
        try:
            chat, _created = private_chats.open_private_chat(current_user, user_id)
        except ChatappError as error:
            flash_error(error)
        else:
            return redirect(url_for("chats.chat_page", chat_id=chat.chat_id))
    return redirect(url_for("friends.friends_page"))
