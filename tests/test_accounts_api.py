"""Accounts over the JSON API: every path and every refusal, and the database state after."""

import io
import re
import time

import pytest
from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import User
from tests.helpers import PASSWORD, error_code, image_bytes, uploads_in


def user_row(app, user_name):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.user_name == user_name))
        if user is not None:
            db.session.expunge(user)
        return user


# --- registration --------------------------------------------------------------------------


def test_register_logs_in_and_records_times(app, api):
    client = api()
    before = time.time()
    response = client.post("/api/auth/register", json={
        "user_name": "Alice", "password": PASSWORD, "email": "Alice@Example.com"})
    assert response.status_code == 201
    body = response.get_json()["user"]
    assert body["user_name"] == "Alice"
    assert body["user_email"] == "Alice@example.com"  # domain part normalized
    assert "password" not in body
    assert client.get("/api/me").get_json()["user"]["user_id"] == body["user_id"]

    row = user_row(app, "Alice")
    assert row.password.startswith("scrypt:") and PASSWORD not in row.password
    assert before <= row.register_time <= time.time()
    assert before <= row.login_time <= time.time()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"user_name": "al", "password": PASSWORD}, 400, "invalid_user_name"),
        ({"user_name": "a" * 51, "password": PASSWORD}, 400, "invalid_user_name"),
        ({"user_name": "a" * 101, "password": PASSWORD}, 400, "invalid_payload"),
        ({"user_name": "bad name", "password": PASSWORD}, 400, "invalid_user_name"),
        ({"user_name": "<script>", "password": PASSWORD}, 400, "invalid_user_name"),
        ({"user_name": "_alice", "password": PASSWORD}, 400, "invalid_user_name"),
        ({"user_name": "newbie", "password": "short"}, 400, "weak_password"),
        ({"user_name": "newbie", "password": "x" * 1025}, 400, "invalid_payload"),
        ({"user_name": "newbie", "password": PASSWORD, "email": "not-an-email"}, 400,
         "invalid_email"),
        ({"user_name": "newbie", "password": PASSWORD, "email": "a" * 95 + "@example.com"},
         400, "invalid_email"),
        ({"user_name": "newbie"}, 400, "invalid_payload"),
        ({"user_name": "newbie", "password": 12345678}, 400, "invalid_payload"),
        ({"user_name": "newbie", "password": PASSWORD, "is_admin": True}, 400,
         "invalid_payload"),
        (["newbie", PASSWORD], 400, "invalid_payload"),
    ],
    ids=["too-short", "too-long", "way-too-long", "space", "markup", "leading-underscore",
         "weak-password", "huge-password", "bad-email", "long-email", "missing-field",
         "wrong-type", "unknown-field", "not-an-object"],
)
def test_register_refusals_change_nothing(app, api, payload, status, code):
    response = api().post("/api/auth/register", json=payload)
    assert response.status_code == status
    assert error_code(response) == code
    assert response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_register_duplicate_name_ignores_case(app, api, alice):
    response = api().post("/api/auth/register", json={"user_name": "ALICE", "password": PASSWORD})
    assert response.status_code == 409
    assert error_code(response) == "user_name_taken"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_register_reports_every_broken_rule_at_once(app, api, alice):
    response = api().post("/api/auth/register", json={
        "user_name": "alice", "password": "short", "email": "alice@example"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    # The reply is the first problem, as ever; ``errors`` lists all of them, in field order.
    assert (error["code"], error["field"]) == ("user_name_taken", "user_name")
    assert [(e["code"], e["field"]) for e in error["errors"]] == [
        ("user_name_taken", "user_name"), ("weak_password", "password"),
        ("invalid_email", "email")]
    assert error["errors"][1]["details"] == {"min": 8}
    # One problem alone: the reply it always was, without a list.
    response = api().post("/api/auth/register", json={"user_name": "bob", "password": "short"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "weak_password", "message": "A password has at least 8 characters.",
        "field": "password", "details": {"min": 8}}
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_register_accepts_chinese_names(api):
    response = api().post("/api/auth/register", json={"user_name": "小明", "password": PASSWORD})
    # Two characters are below the minimum of three.
    assert error_code(response) == "invalid_user_name"
    response = api().post("/api/auth/register", json={"user_name": "王小明", "password": PASSWORD})
    assert response.status_code == 201


def test_register_without_csrf_token_is_refused(app):
    client = app.test_client()
    response = client.post("/api/auth/register", json={"user_name": "x" * 5, "password": PASSWORD})
    assert response.status_code == 400
    assert error_code(response) == "csrf_failed"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


# --- log in and out ------------------------------------------------------------------------


def test_login_updates_login_time(app, api, alice):
    before = user_row(app, "alice").login_time
    assert before is None  # made by the service, never logged in
    api(alice)
    assert user_row(app, "alice").login_time >= time.time() - 5


def test_login_is_case_insensitive(api, alice):
    response = api().post("/api/auth/login",
                          json={"user_name": "ALICE", "password": alice.password})
    assert response.status_code == 200


def test_failed_login_says_the_same_whether_or_not_the_account_exists(api, alice):
    wrong_password = api().post("/api/auth/login",
                                json={"user_name": "alice", "password": "wrong password"})
    no_such_user = api().post("/api/auth/login",
                              json={"user_name": "nobody", "password": "wrong password"})
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert wrong_password.get_json() == no_such_user.get_json()
    assert error_code(wrong_password) == "invalid_credentials"


def test_anonymous_api_requests_get_401(api):
    response = api().get("/api/me")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_logout_ends_every_session(app, api, alice):
    first, second = api(alice), api(alice)
    assert first.post("/api/auth/logout").status_code == 204
    assert first.get("/api/me").status_code == 401
    assert second.get("/api/me").status_code == 401  # the other device is logged out too


def test_replayed_session_cookie_after_logout_is_refused(app, api, alice):
    client = api(alice)
    cookie = client.client.get_cookie("session").value
    client.post("/api/auth/logout")

    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/api/me").status_code == 401


def test_remember_me_cookie_survives_a_browser_restart_but_not_logout(app, api, alice):
    client = api()
    client.login(alice, remember=True)
    remember = client.client.get_cookie("remember_token")
    assert remember is not None

    restarted = app.test_client()  # no session cookie, only the remember-me cookie
    restarted.set_cookie("remember_token", remember.value)
    assert restarted.get("/api/me").status_code == 200

    client.post("/api/auth/logout")
    again = app.test_client()
    again.set_cookie("remember_token", remember.value)
    assert again.get("/api/me").status_code == 401


def test_login_rate_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    statuses = [
        client.post("/api/auth/login", headers={"X-CSRFToken": token},
                    json={"user_name": "alice", "password": "guess"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    last = client.post("/api/auth/login", headers={"X-CSRFToken": token},
                       json={"user_name": "alice", "password": "guess"})
    assert error_code(last) == "rate_limited"


def test_rate_limit_counts_client_addresses_behind_a_trusted_proxy(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)

    def attempts(client_address):
        client = app.test_client()
        token = client.get("/api/auth/csrf").get_json()["csrf_token"]
        return [client.post("/api/auth/login", headers={
            "X-CSRFToken": token, "X-Forwarded-For": client_address},
            json={"user_name": "alice", "password": "guess"}).status_code for _ in range(3)]

    assert attempts("203.0.113.7") == [401, 401, 429]
    assert attempts("198.51.100.9") == [401, 401, 429]  # another person is not held back


# --- profile and password ------------------------------------------------------------------


def test_update_and_clear_email(app, api, alice):
    client = api(alice)
    response = client.patch("/api/me", json={"email": "new@example.org"})
    assert response.get_json()["user"]["user_email"] == "new@example.org"
    unchanged = client.patch("/api/me", json={}).get_json()["user"]["user_email"]
    assert unchanged == "new@example.org"  # a field left out stays as it is
    assert client.patch("/api/me", json={"email": None}).get_json()["user"]["user_email"] is None
    assert user_row(app, "alice").user_email is None
    bad = client.patch("/api/me", json={"email": "nope"})
    assert bad.status_code == 400 and error_code(bad) == "invalid_email"


def test_change_password_keeps_this_session_and_ends_the_others(app, api, alice):
    here, elsewhere = api(alice), api(alice)
    response = here.post("/api/me/password", json={
        "current_password": alice.password, "new_password": "a much better secret"})
    assert response.status_code == 200
    assert here.get("/api/me").status_code == 200
    assert elsewhere.get("/api/me").status_code == 401

    old = api().post("/api/auth/login", json={"user_name": "alice", "password": alice.password})
    assert old.status_code == 401
    new = api().post("/api/auth/login",
                     json={"user_name": "alice", "password": "a much better secret"})
    assert new.status_code == 200


@pytest.mark.parametrize(
    ("current", "new", "code"),
    [("wrong password", "a much better secret", "wrong_password"),
     (PASSWORD, "short", "weak_password")],
)
def test_change_password_refusals(app, api, alice, current, new, code):
    client = api(alice)
    before = user_row(app, "alice").password
    response = client.post("/api/me/password",
                           json={"current_password": current, "new_password": new})
    assert response.status_code == 400
    assert error_code(response) == code
    assert user_row(app, "alice").password == before
    assert client.get("/api/me").status_code == 200


# --- avatar --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "BMP"])
def test_avatar_any_common_format_becomes_a_square_png(app, api, alice, fmt):
    client = api(alice)
    response = client.put("/api/me/avatar",
                          data={"avatar": (io.BytesIO(image_bytes(fmt, (300, 200))), "me.img")})
    assert response.status_code == 200, response.get_json()
    user = response.get_json()["user"]
    assert user["has_avatar"] is True

    stored = uploads_in(app)
    assert len(stored) == 1 and stored[0].endswith(".png") and "me" not in stored[0]
    served = client.get(user["avatar_url"])
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    from PIL import Image
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "PNG" and image.size == (256, 256)


def test_new_avatar_replaces_the_old_file_and_removal_deletes_it(app, api, alice):
    client = api(alice)
    client.put("/api/me/avatar", data={"avatar": (io.BytesIO(image_bytes()), "a.png")})
    first = uploads_in(app)
    url_before = client.get("/api/me").get_json()["user"]["avatar_url"]
    client.put("/api/me/avatar", data={"avatar": (io.BytesIO(image_bytes("JPEG")), "b.jpg")})
    second = uploads_in(app)
    assert len(second) == 1 and second != first
    assert client.get("/api/me").get_json()["user"]["avatar_url"] != url_before

    response = client.delete("/api/me/avatar")
    assert response.get_json()["user"]["has_avatar"] is False
    assert uploads_in(app) == []
    default = client.get(response.get_json()["user"]["avatar_url"])
    assert default.status_code == 200 and default.mimetype == "image/svg+xml"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"<html><script>alert(1)</script></html>", "not_an_image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
         "not_an_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not_an_image"),  # a PNG header, then junk
        (b"", "not_an_image"),
    ],
    ids=["html-named-png", "svg", "truncated-png", "empty"],
)
def test_avatar_that_is_not_an_image_is_refused(app, api, alice, content, code):
    client = api(alice)
    response = client.put("/api/me/avatar", data={"avatar": (io.BytesIO(content), "pic.png")})
    assert response.status_code == 400
    assert error_code(response) == code
    assert user_row(app, "alice").user_icon is None
    assert uploads_in(app) == []


def test_avatar_decompression_bomb_is_refused(make_app, make_user, api):
    app = make_app(IMAGE_MAX_PIXELS=1_000_000)
    from tests.helpers import ApiClient
    with app.app_context():
        from chatapp.services import accounts
        accounts.register_user("bomber", PASSWORD)
    client = ApiClient(app.test_client())
    client.post("/api/auth/login", json={"user_name": "bomber", "password": PASSWORD})
    # 2000x2000 of one colour: a few KB on the wire, 4 megapixels when decoded.
    bomb = image_bytes("PNG", (2000, 2000), (0, 0, 0))
    assert len(bomb) < 50_000
    response = client.put("/api/me/avatar", data={"avatar": (io.BytesIO(bomb), "bomb.png")})
    assert response.status_code == 400
    assert error_code(response) == "image_too_large"
    assert uploads_in(app) == []


def test_avatar_over_the_size_limit_is_refused(make_app, api):
    app = make_app(AVATAR_MAX_BYTES=10_000)
    from tests.helpers import ApiClient
    with app.app_context():
        from chatapp.services import accounts
        accounts.register_user("big", PASSWORD)
    client = ApiClient(app.test_client())
    client.post("/api/auth/login", json={"user_name": "big", "password": PASSWORD})
    big = image_bytes("BMP", (200, 200))  # ~120 KB
    response = client.put("/api/me/avatar", data={"avatar": (io.BytesIO(big), "big.bmp")})
    assert response.status_code == 413
    assert error_code(response) == "avatar_too_large"
    assert uploads_in(app) == []


def test_request_over_max_content_length_is_refused_early(make_app):
    app = make_app(MAX_CONTENT_LENGTH=50_000)
    from tests.helpers import ApiClient
    with app.app_context():
        from chatapp.services import accounts
        accounts.register_user("huge", PASSWORD)
    client = ApiClient(app.test_client())
    client.post("/api/auth/login", json={"user_name": "huge", "password": PASSWORD})
    response = client.put("/api/me/avatar",
                          data={"avatar": (io.BytesIO(b"x" * 100_000), "huge.png")})
    assert response.status_code == 413
    assert error_code(response) == "too_large"
    assert uploads_in(app) == []


def test_avatar_upload_without_file(api, alice):
    response = api(alice).put("/api/me/avatar", data={})
    assert response.status_code == 400
    assert error_code(response) == "missing_file"


def test_avatars_need_a_login_and_unknown_users_are_not_found(app, api, alice, bob):
    anonymous = app.test_client().get(f"/users/{alice.user_id}/avatar")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    client = api(bob)
    assert client.get(f"/users/{alice.user_id}/avatar").status_code == 200
    assert client.get("/users/999999/avatar").status_code == 404


def test_security_headers_on_every_response(api, alice):
    response = api(alice).get("/api/me")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert "connect-src 'self' ws://localhost wss://localhost" in csp
    nonce = re.search(r"script-src 'self' 'nonce-([\w-]+)'", csp).group(1)
    again = api(alice).get("/api/me").headers["Content-Security-Policy"]
    assert nonce not in again  # a new nonce for every response
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_api_route_and_wrong_method_are_json(api, alice):
    client = api(alice)
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and error_code(missing) == "not_found"
    wrong = client.get("/api/auth/logout")
    assert wrong.status_code == 405 and error_code(wrong) == "method_not_allowed"
