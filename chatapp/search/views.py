"""Message search over HTTP: the page ``GET /search`` (the top bar's form, filters, results)
and ``GET /api/search`` for programs; both read the same query and call the same service."""

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ChatappError
from ..schemas import SearchQuery, load
from ..services import chats, friends
from ..web import error_message, mark_fields
from . import service
from .forms import MessageSearchForm

bp = Blueprint("search", __name__)

# The query string the page reads: the parameters of GET /api/search, bar ``limit``.
PARAMS = ("q", "chat_id", "sender_id", "kind", "from", "to", "tz", "mentions", "before")


def _people(chat_list) -> list[tuple[int, str]]:
    """Who the "sent by" filter offers: oneself, then friends and private-chat peers."""
    people = {f.user_id: f.user_name for f in friends.list_friends(current_user)}
    people.update({c["other_user"]["user_id"]: c["other_user"]["user_name"]
                   for c in chat_list if c["is_private"] and c["other_user"]})
    return [(current_user.user_id, _("Me")),
            *sorted(people.items(), key=lambda person: person[1].casefold())]


def _error_message(error: ChatappError) -> str:
    if error.code == "invalid_payload":  # from the schema: a hand-edited or stale address
        return _("These search options are not valid: %(fields)s.",
                 fields=", ".join(sorted(set(error.fields))))
    return error_message(error)


def _search(params: dict) -> dict:
    """The page of results for a query string's ``params``, checked by ``SearchQuery``."""
    query = load(SearchQuery, params)
    found = service.search_messages(
        current_user, query.q, chat_id=query.chat_id, sender_id=query.sender_id,
        kind=query.kind, date_from=query.date_from, date_to=query.date_to,
        time_zone=query.time_zone, before=query.before, limit=query.limit,
        mentions_me=query.mentions == "me")
    for result in found["results"]:  # the service returns data; the link is the view's
        chat_id, msg_id = result["chat"]["chat_id"], result["message"]["msg_id"]
        result["url"] = url_for("chats.chat_page", chat_id=chat_id, around=msg_id,
                                _anchor=f"m{msg_id}")
    return found


@bp.get("/api/search")
@login_required
def search_messages():
    """Search the messages of the user's chats (see docs/api.md for the query syntax)."""
    return jsonify(_search(request.args.to_dict()))


@bp.get("/search")
@login_required
def search_page():
    """Find messages in the user's chats; without ``q`` just the form."""
    chat_list = chats.list_chats(current_user)
    form = MessageSearchForm(request.args).with_choices(chat_list, _people(chat_list))
    params = {k: v for k, v in request.args.items() if k in PARAMS and (v or k == "q")}
    found, error, status, zone_unknown = None, None, 200, None
    if "q" in params or params.get("mentions"):
        try:
            found = _search(params)
        except ChatappError as failure:
            if failure.code != "invalid_time_zone":
                error, status = _error_message(failure), failure.status
                mark_fields(form, failure)
            else:
                # The hidden field holds the browser's own zone, which the reader cannot
                # change: one this server does not know leaves the days in UTC, and says so.
                zone_unknown = params.pop("tz")
                form.tz.data = ""
                try:
                    found = _search(params)
                except ChatappError as again:
                    error, status = _error_message(again), again.status
                    mark_fields(form, again)
    first_page = {k: v for k, v in params.items() if k != "before"}
    older = (url_for("search.search_page", **first_page, before=found["next"])
             if found and found["next"] else None)
    newest = url_for("search.search_page", **first_page) if "before" in params else None
    filtered = any(k in params for k in ("chat_id", "sender_id", "kind", "from", "to",
                                         "mentions"))
    return render_template("search/results.html", form=form, query=params.get("q", ""),
                           mentions=params.get("mentions") == "me",
                           found=found, error=error, older=older, newest=newest,
                           filtered=filtered, zone_unknown=zone_unknown), status
