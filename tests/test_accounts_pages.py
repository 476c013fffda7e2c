"""Account pages: forms with CSRF, flashes, redirects, error pages."""

import io
import re

import pytest
from sqlalchemy import select, update

from chatapp.extensions import db
from chatapp.models import User
from tests.helpers import PASSWORD, csrf_from, image_bytes, uploads_in


@pytest.fixture
def browser(app):
    """A test client that fills forms the way a browser does: GET the page, POST with its token."""

    class Browser:
        client = app.test_client()

        def form(self, page, data, url=None, **kwargs):
            token = csrf_from(self.client.get(page).get_data(as_text=True))
            return self.client.post(url or page, data={"csrf_token": token, **data}, **kwargs)

        def login(self, person, password=None, remember=False):
            data = {"user_name": person.user_name, "password": password or person.password}
            if remember:
                data["remember"] = "y"
            return self.form("/login", data)

    return Browser()


def test_home_requires_login_and_comes_back_after(browser, alice):
    response = browser.client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")
    token = csrf_from(browser.client.get("/login?next=/profile").get_data(as_text=True))
    response = browser.client.post("/login?next=/profile", data={
        "csrf_token": token, "user_name": "alice", "password": PASSWORD})
    assert response.headers["Location"] == "/profile"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(browser, alice, target):
    token = csrf_from(browser.client.get("/login").get_data(as_text=True))
    response = browser.client.post(f"/login?next={target}", data={
        "csrf_token": token, "user_name": "alice", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_register_page_creates_account_and_greets(app, browser):
    response = browser.form("/register", {
        "user_name": "dave", "password": PASSWORD, "confirm": PASSWORD, "email": ""},
        follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Hello, dave" in page and "Welcome to chatapp, dave!" in page
    with app.app_context():
        assert db.session.scalar(select(User.user_email).where(User.user_name == "dave")) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"user_name": "alice", "password": PASSWORD, "confirm": PASSWORD},
         "That user name is taken."),
        ({"user_name": "dave", "password": PASSWORD, "confirm": "different!"},
         "The passwords differ."),
        ({"user_name": "dave", "password": "short", "confirm": "short"}, "at least 8 characters"),
        ({"user_name": "x" * 60, "password": PASSWORD, "confirm": PASSWORD}, "longer than 50"),
    ],
)
def test_register_page_shows_errors_at_the_field(app, browser, alice, data, message):
    response = browser.form("/register", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def field_errors(page: str) -> dict[str, list[str]]:
    """The messages under each field of a page's form, by the field's id."""
    return {field: re.findall(r"<li>(.*?)</li>", items) for field, items in re.findall(
        r'<ul class="errors" id="([\w-]+)-errors">(.*?)</ul>', page, re.S)}


def test_register_page_shows_every_mistake_at_once(app, browser, alice):
    response = browser.form("/register", {
        "user_name": "al", "password": "short", "confirm": "other", "email": "alice@example"})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True)) == {
        "user_name": ["A user name has 3 to 50 characters."],
        "password": ["A password has at least 8 characters."],
        "confirm": ["The passwords differ."],
        "email": ["The part after the @-sign is not valid. It should have a period."],
    }
    # A name someone has, and a field left empty: the form's own message, and the rule's.
    response = browser.form("/register", {
        "user_name": "ALICE", "password": "", "confirm": "", "email": "not an email"})
    errors = field_errors(response.get_data(as_text=True))
    assert errors["user_name"] == ["That user name is taken."]
    assert errors["password"] == ["This field is required."]
    assert errors["email"] and "email" in errors
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_form_without_csrf_token_is_refused_with_an_error_page(app, browser):
    response = browser.client.post("/register", data={
        "user_name": "dave", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "csrf_failed" in page and "<html" in page
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_wrong_password_page_says_the_same_for_unknown_users(browser, alice):
    wrong = browser.form("/login", {"user_name": "alice", "password": "nope nope"})
    unknown = browser.form("/login", {"user_name": "zed", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert "Wrong user name or password." in response.get_data(as_text=True)


def test_disabled_account_cannot_log_in(app, browser, alice):
    from chatapp.services import accounts
    with app.app_context():
        accounts.set_user_active("alice", False)
    response = browser.login(alice)
    assert response.status_code == 403
    assert "This account is disabled." in response.get_data(as_text=True)


def test_profile_flow_email_avatar_password_logout(app, browser, alice):
    browser.login(alice)
    page = browser.client.get("/profile").get_data(as_text=True)
    assert "alice@example.com" in page and "Member since" in page

    response = browser.form("/profile", {"email": "a@example.net"}, follow_redirects=True)
    assert "Profile saved." in response.get_data(as_text=True)

    response = browser.form("/profile", {"avatar": (io.BytesIO(image_bytes()), "me.png")},
                            url="/profile/avatar", follow_redirects=True,
                            content_type="multipart/form-data")
    assert "Avatar updated." in response.get_data(as_text=True)
    assert len(uploads_in(app)) == 1

    response = browser.form("/profile", {"avatar": (io.BytesIO(b"GIF89a nope"), "x.gif")},
                            url="/profile/avatar", content_type="multipart/form-data")
    assert response.status_code == 400
    assert "That file is not an image." in response.get_data(as_text=True)
    assert len(uploads_in(app)) == 1

    response = browser.form("/profile", {}, url="/profile/avatar/delete", follow_redirects=True)
    assert "Avatar removed." in response.get_data(as_text=True)
    assert uploads_in(app) == []

    response = browser.form("/profile", {
        "current_password": "wrong one", "new_password": "new secret pw",
        "confirm": "new secret pw"}, url="/profile/password")
    assert response.status_code == 400
    assert "The current password is wrong." in response.get_data(as_text=True)

    response = browser.form("/profile", {
        "current_password": PASSWORD, "new_password": "new secret pw",
        "confirm": "new secret pw"}, url="/profile/password", follow_redirects=True)
    assert "Password changed." in response.get_data(as_text=True)
    assert browser.client.get("/profile").status_code == 200  # still logged in here

    response = browser.form("/", {}, url="/logout", follow_redirects=True)
    assert "You are logged out." in response.get_data(as_text=True)
    assert browser.client.get("/profile").status_code == 302


def test_logout_is_post_only(browser, alice):
    browser.login(alice)
    assert browser.client.get("/logout").status_code == 405
    assert browser.client.get("/profile").status_code == 200


def test_pages_escape_user_text(app, browser, make_user):
    # Neither names nor new emails can hold markup; an email stored before that rule can, and
    # it must stay text.
    eve = make_user("eve")
    with app.app_context():
        db.session.execute(update(User).where(User.user_id == eve.user_id)
                           .values(user_email="o'neil&co@example.com"))
        db.session.commit()
    browser.login(eve)
    page = browser.client.get("/profile").get_data(as_text=True)
    assert "o'neil&co@" not in page and "o&#39;neil&amp;co@example.com" in page


def test_not_found_page(browser, alice):
    browser.login(alice)
    response = browser.client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found." in response.get_data(as_text=True)


def test_unexpected_error_rolls_back_and_shows_500(app, browser, alice, monkeypatch):
    from chatapp.services import accounts

    def explode(user, email):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(accounts, "update_profile", explode)
    browser.login(alice)
    response = browser.form("/profile", {"email": "x@example.com"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side." in page and "disk on fire" not in page


def test_password_reset_link_works_once(app, browser, alice):
    from chatapp.services import password_reset
    with app.app_context():
        _, token = password_reset.password_reset_token("alice")
    other = app.test_client()  # a device logged in before the reset
    other_token = csrf_from(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"csrf_token": other_token, "user_name": "alice",
                               "password": PASSWORD})
    assert other.get("/profile").status_code == 200

    page = browser.client.get(f"/reset/{token}")
    assert page.status_code == 200 and "alice" in page.get_data(as_text=True)
    response = browser.form(f"/reset/{token}", {"new_password": "brand new pass",
                                                "confirm": "brand new pass"})
    assert response.headers["Location"] == "/login"
    assert browser.login(alice, password="brand new pass").status_code == 302
    assert other.get("/profile").status_code == 302  # the old session ended

    used = app.test_client().get(f"/reset/{token}")
    assert used.status_code == 400 and "not valid" in used.get_data(as_text=True)


def test_tampered_and_expired_reset_links(make_app):
    app = make_app(PASSWORD_RESET_MAX_AGE=-1)
    from chatapp.services import accounts, password_reset
    with app.app_context():
        accounts.register_user("alice", PASSWORD)
        _, token = password_reset.password_reset_token("alice")
    client = app.test_client()
    expired = client.get(f"/reset/{token}")
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    tampered = client.get(f"/reset/{token[:-2]}xx")
    assert tampered.status_code == 400 and "not valid" in tampered.get_data(as_text=True)
