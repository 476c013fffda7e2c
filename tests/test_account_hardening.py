"""Accounts against an attacker: CSRF tokens rotate at log-in, look-alike user names and
emails that carry markup are refused."""

import pytest
from sqlalchemy import func, select

from chatapp.extensions import db
from chatapp.models import User
from tests.helpers import PASSWORD, error_code


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_a_csrf_token_from_before_log_in_stops_working_after_it(app, api, alice):
    client = api()
    before = client.token()
    response = client.post("/api/auth/login", json={"user_name": "alice",
                                                    "password": PASSWORD})
    after = response.get_json()["csrf_token"]
    assert after != before

    stale = client.client.patch("/api/me", json={"email": "new@example.com"},
                                headers={"X-CSRFToken": before})
    assert stale.status_code == 400 and error_code(stale) == "csrf_failed"
    fresh = client.client.patch("/api/me", json={"email": "new@example.com"},
                                headers={"X-CSRFToken": after})
    assert fresh.status_code == 200


def test_the_log_in_page_hands_out_a_new_token_for_the_session(app, alice):
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        anonymous_token = session.get("csrf_token")
    assert anonymous_token
    client.post("/login", data={"user_name": "alice", "password": PASSWORD},
                headers={"X-CSRFToken": client.get("/api/auth/csrf").get_json()["csrf_token"]})
    with client.session_transaction() as session:
        assert "_user_id" in session
        assert session.get("csrf_token") != anonymous_token


@pytest.mark.parametrize("look_alike", [
    "\u0430dmin",       # Cyrillic а
    "adm\u0456n",       # Cyrillic і
    "αdmin",       # Greek alpha
    "ADMІN",       # Cyrillic І, in capitals (names ignore case)
    "adrnin",           # r n for m
    "\uff41dmin",       # full-width a (NFKC folds it to the same name: taken)
])
def test_a_user_name_that_looks_like_an_existing_one_is_refused(app, api, make_user, look_alike):
    make_user("admin")
    response = api().post("/api/auth/register", json={"user_name": look_alike,
                                                      "password": PASSWORD})
    assert response.status_code == 409
    assert error_code(response) in {"user_name_confusable", "user_name_taken"}
    assert user_count(app) == 1


def test_distinct_names_in_any_script_are_welcome(app, api, make_user):
    make_user("admin")
    for name in ("administrator", "адмін", "管理员", "admin2"):
        response = api().post("/api/auth/register", json={"user_name": name,
                                                          "password": PASSWORD})
        assert response.status_code == 201, (name, response.get_json())


def test_the_register_page_explains_a_look_alike_name(app, make_user):
    make_user("admin")
    client = app.test_client()
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    page = client.post("/register", data={
        "user_name": "\u0430dmin", "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": token})
    assert "looks like someone else" in page.get_data(as_text=True)
    assert user_count(app) == 1


@pytest.mark.parametrize("email", [
    "x'onmouseover=alert`102`'@example.com",
    "{{7*7}}x@example.com",
    "\"quoted\"@example.com",
    "a=b@example.com",
    "<script>@example.com",
])
def test_emails_with_markup_or_template_syntax_are_refused(app, api, alice, email):
    client = api(alice)
    response = client.patch("/api/me", json={"email": email})
    assert response.status_code == 400 and error_code(response) == "invalid_email"
    assert client.get("/api/me").get_json()["user"]["user_email"] == "alice@example.com"
    register = api().post("/api/auth/register", json={"user_name": "someone",
                                                      "password": PASSWORD, "email": email})
    assert register.status_code == 400 and error_code(register) == "invalid_email"


@pytest.mark.parametrize("email", ["first.last+chat@example.com", "li_lei-2@例子.中国",
                                   "用户@example.com"])
def test_ordinary_emails_in_any_script_are_kept(app, api, alice, email):
    response = api(alice).patch("/api/me", json={"email": email})
    assert response.status_code == 200, response.get_json()
