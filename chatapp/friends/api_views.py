"""Friend endpoints for programs: search, requests, friends."""

from flask import jsonify, request
from flask_login import current_user, login_required

from .. import payloads
from ..schemas import FriendRequestIn, load
from ..services import friends
from . import api


@api.get("/users")
@login_required
def search_users():
    """People whose name starts with ``q``; ``after`` is the cursor of the next page."""
    limit = request.args.get("limit", 20, type=int)
    users, next_cursor = friends.search_users(current_user, request.args.get("q", ""),
                                              request.args.get("after"), limit)
    return jsonify(users=[payloads.user_public(u) for u in users], next=next_cursor)


@api.get("/users/<id:user_id>")
@login_required
def user_profile(user_id):
    """One person's profile card: public details, presence, and how you two relate."""
    return jsonify(friends.profile(current_user, user_id))


@api.get("/friends")
@login_required
def list_friends():
    """The user's friends, by name."""
    return jsonify(friends=[payloads.user_public(u) for u in friends.list_friends(current_user)])


@api.delete("/friends/<id:user_id>")
@login_required
def remove_friend(user_id):
    """End a friendship (both directions)."""
    friends.remove_friend(current_user, user_id)
    return "", 204


@api.get("/friend-requests")
@login_required
def list_requests():
    """Pending requests to and from the user."""
    incoming, outgoing = friends.list_requests(current_user)
    return jsonify(incoming=[payloads.friend_request(r) for r in incoming],
                   outgoing=[payloads.friend_request(r) for r in outgoing])


@api.post("/friend-requests")
@login_required
def send_request():
    """Ask someone to be friends."""
    data = load(FriendRequestIn, request.get_json(silent=True))
    sent = friends.send_friend_request(current_user, data.user_id, data.note)
    return jsonify(request=payloads.friend_request(sent)), 201


@api.post("/friend-requests/<id:request_id>/accept")
@login_required
def accept_request(request_id):
    """Accept a request addressed to the user."""
    friend = friends.accept_friend_request(current_user, request_id)
    return jsonify(friend=payloads.user_public(friend))


@api.post("/friend-requests/<id:request_id>/decline")
@login_required
def decline_request(request_id):
    """Decline a request addressed to the user."""
    friends.decline_friend_request(current_user, request_id)
    return "", 204


@api.delete("/friend-requests/<id:request_id>")
@login_required
def cancel_request(request_id):
    """Withdraw a request the user sent."""
    friends.cancel_friend_request(current_user, request_id)
    return "", 204
