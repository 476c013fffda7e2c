"""Hostile HTTP input found against the running server: each is a clean 4xx and changes nothing.

Deeply nested JSON, ids past 64 bits or in full-width digits, dates past the calendar's end and
numbers past 64 bits in query strings all used to end in a 500.
"""

import pytest

from chatapp.extensions import db
from chatapp.models import Chat, Message
from tests.helpers import error_code
from tests.url_rules import fill, placeholders, routes

DEEP = "[" * 100_000
PAST_64_BITS = 2**63  # one more than the largest id SQLite can store
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# Every endpoint that reads a JSON body, with the ids of ``world``.
JSON_BODIES = [
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/password-reset"),
    ("PATCH", "/api/me"),
    ("POST", "/api/me/password"),
    ("POST", "/api/friend-requests"),
    ("POST", "/api/chats"),
    ("POST", "/api/chats/private"),
    ("PATCH", "/api/chats/{team}"),
    ("POST", "/api/chats/{team}/members"),
    ("PUT", "/api/chats/{team}/members/{bob}/role"),
    ("POST", "/api/chats/{team}/owner"),
    ("POST", "/api/chats/{team}/messages"),
    ("POST", "/api/chats/{team}/read"),
]


@pytest.fixture
def world(three_chats, alice, bob, carol):
    """alice's client, the chats of ``three_chats`` and one message "deploy at noon" in "team"."""
    clients, chats = three_chats
    sent = clients["alice"].post(f"/api/chats/{chats['team']}/messages",
                                 json={"text": "deploy at noon", "client_msg_id": "c1"})
    assert sent.status_code == 201
    return {"alice": clients["alice"], **chats, "bob": bob.user_id, "carol": carol.user_id,
            "msg": sent.get_json()["message"]["msg_id"]}


def rows(app):
    """Counts of the rows a refused request must not touch."""
    with app.app_context():
        return db.session.query(Chat).count(), db.session.query(Message).count()


# --- 1. deeply nested JSON -----------------------------------------------------------------


def test_every_json_endpoint_refuses_deeply_nested_json_as_invalid_payload(app, world):
    client = world["alice"]
    before, me = rows(app), client.get("/api/me").get_json()
    for method, path in JSON_BODIES:
        response = client.client.open(path.format(**world), method=method, data=DEEP,
                                      content_type="application/json",
                                      headers={"X-CSRFToken": client.token()})
        assert response.status_code == 400, (method, path, response.status_code)
        assert error_code(response) == "invalid_payload", (method, path)
    assert rows(app) == before
    assert client.get("/api/me").get_json() == me


def test_the_list_of_json_endpoints_names_real_routes(app, world):
    known = {(method, rule.rule) for rule, method in routes(app, "/api/")}
    for method, path in JSON_BODIES:
        rule = path.replace("{team}", "<id:chat_id>").replace("{bob}", "<id:user_id>")
        assert (method, rule) in known


# --- 2. ids in paths -----------------------------------------------------------------------


def test_ids_past_64_bits_are_not_found_on_every_id_route(app, world):
    real = {"chat_id": world["team"], "user_id": world["bob"], "msg_id": world["msg"],
            "request_id": 1, "emoji": "👍"}
    checked = 0
    for rule, method in routes(app):
        ids = [name for converter, name in placeholders(rule) if converter == "id"]
        for name in ids:
            path = fill(rule, {**real, name: PAST_64_BITS})
            response = getattr(world["alice"], method.lower())(path)
            assert response.status_code == 404, (method, path, response.status_code)
            if path.startswith("/api/"):
                assert error_code(response) == "not_found", (method, path)
            checked += 1
    assert checked >= 30  # every id route, not a lucky few
    assert world["alice"].get(f"/api/chats/{world['team']}").status_code == 200


def test_the_largest_id_still_reaches_the_view(world):
    response = world["alice"].get(f"/api/chats/{2**63 - 1}")
    assert response.status_code == 404
    assert error_code(response) == "chat_not_found"


def test_ids_in_full_width_digits_name_nothing(world):
    team = world["team"]
    assert world["alice"].get(f"/api/chats/{team}").status_code == 200
    for path in (f"/api/chats/{str(team).translate(FULL_WIDTH)}",
                 f"/api/chats/{team}/messages/{str(world['msg']).translate(FULL_WIDTH)}/receipts",
                 f"/chats/{str(team).translate(FULL_WIDTH)}"):
        response = world["alice"].get(path)
        assert response.status_code == 404, path
    assert error_code(world["alice"].get(f"/api/chats/{str(team).translate(FULL_WIDTH)}")) \
        == "not_found"


def test_the_chat_page_shows_the_newest_messages_for_an_unusable_around(world):
    for around in (str(PAST_64_BITS), "-1", "abc", "１"):
        response = world["alice"].get(f"/chats/{world['team']}", query_string={"around": around})
        assert response.status_code == 200, around
        assert "deploy at noon" in response.get_data(as_text=True)


# --- 3. numbers and dates in query strings -------------------------------------------------


def search(world, path="/api/search", **params):
    return world["alice"].get(path, query_string={"q": "deploy", **params})


def test_search_up_to_the_last_day_of_the_calendar_finds_everything(world):
    response = search(world, to="9999-12-31")
    assert response.status_code == 200
    assert [r["message"]["msg_id"] for r in response.get_json()["results"]] == [world["msg"]]
    assert search(world, **{"from": "9999-12-31"}).get_json()["results"] == []


@pytest.mark.parametrize("field", ["from", "to"])
def test_search_refuses_dates_outside_the_calendar_or_the_format(world, field):
    for day in ("10000-01-01", "0000-01-01", "2026-02-30", "2026-1-5", "２０２６-01-05",
                "9999-12-31T00:00", "x" * 5000):
        response = search(world, **{field: day})
        assert response.status_code == 400, day
        assert response.get_json()["error"] == {"code": "invalid_date", "field": field,
                                                "message": "Dates are YYYY-MM-DD."}


def test_numbers_past_64_bits_in_query_strings_are_invalid_payload(world):
    for path, field in [
        ("/api/search", "before"), ("/api/search", "chat_id"), ("/api/search", "sender_id"),
        ("/api/chats/{team}/messages", "before"), ("/api/chats/{team}/messages", "after"),
        ("/api/chats/{team}/messages", "around"),
    ]:
        params = {"q": "deploy"} if path == "/api/search" else {}
        response = world["alice"].get(path.format(**world),
                                      query_string={**params, field: PAST_64_BITS})
        assert response.status_code == 400, (path, field)
        assert error_code(response) == "invalid_payload"
        assert [d["field"] for d in response.get_json()["error"]["details"]] == [field]


def test_the_search_page_explains_a_date_past_the_calendar(world):
    assert search(world, "/search", to="9999-12-31").status_code == 200
    page = search(world, "/search", to="10000-01-01")
    assert page.status_code == 400
    assert "Dates are YYYY-MM-DD." in page.get_data(as_text=True)
    assert 'aria-invalid="true"' in page.get_data(as_text=True)


def test_the_search_page_explains_a_cursor_past_64_bits(world):
    page = search(world, "/search", before=PAST_64_BITS)
    assert page.status_code == 400
    assert "These search options are not valid: before." in page.get_data(as_text=True)


def test_people_search_takes_any_limit_and_cursor(world):
    for limit in (str(PAST_64_BITS), "9" * 5000, "-1", "１６", "x"):
        response = world["alice"].get("/api/users", query_string={
            "q": "b", "limit": limit, "after": "\U0010ffff" * 100})
        assert response.status_code == 200, limit
        assert response.get_json() == {"users": [], "next": None}


# --- found by tests/test_fuzz.py -----------------------------------------------------------


def page_post(world, path, headers=(), **kwargs):
    client = world["alice"]
    return client.client.post(path.format(**world),
                              headers={"X-CSRFToken": client.token(), **dict(headers)}, **kwargs)


def test_pages_refuse_json_bodies_as_unsupported_media_type(app, world):
    before = rows(app)
    for path in ("/chats/{team}/dissolve", "/chats/{team}/rename", "/chats", "/friends/requests",
                 "/profile"):
        for body in ("false", "[1, 2]", '{"confirm": 5}', '{"chat_name": ["x"]}'):
            response = page_post(world, path, data=body, content_type="application/json",
                                 headers={"Accept": "application/json"})
            assert response.status_code == 415, (path, body)
            assert error_code(response) == "unsupported_media_type"
    assert rows(app) == before


def test_page_forms_refuse_ids_past_64_bits(app, world):
    before = rows(app)
    for path, form in [
        ("/friends/requests", {"user_id": str(PAST_64_BITS)}),
        ("/chats", {"chat_name": "Big", "member_ids": [str(PAST_64_BITS)]}),
        ("/chats/{team}/members", {"member_ids": [str(PAST_64_BITS)]}),
        ("/chats/{team}/members", {"member_ids": ["１６"]}),
    ]:
        response = page_post(world, path, data=form)
        assert response.status_code == 400, (path, form)
    assert rows(app) == before
