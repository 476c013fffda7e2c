"""Optional email: "forgot password" mails a one-time reset link through a real SMTP server
(aiosmtpd, started here on a free port). The answer never tells whether an account matched."""

import email
import logging
import re
import socket
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from chatapp.config import ConfigError
from chatapp.extensions import limiter
from chatapp.services import accounts, mail
from tests.helpers import PASSWORD, ApiClient, csrf_from, error_code

PUBLIC_URL = "https://chat.example.com"
NEUTRAL = "If an account with an email address matches, a link to set a new password is on its way."
LINK_RE = re.compile(re.escape(PUBLIC_URL) + r"(/reset/\S+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait(self, count=1, timeout=5.0):
        """The messages, once at least ``count`` arrived (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} mails arrived"
        return self.messages


def start_smtp(**options):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return inbox, controller


@pytest.fixture
def smtp():
    inbox, controller = start_smtp()
    yield inbox, controller.port
    controller.stop()


def mail_config(port, **more):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SECURITY": "none",
            "MAIL_TIMEOUT": 2.0, "PUBLIC_URL": PUBLIC_URL, **more}


@pytest.fixture
def app(make_app, smtp):
    return make_app(**mail_config(smtp[1]))


def app_with_alice(make_app, port, **more):
    """A mail-sending app of its own settings, where alice (with an email address) lives."""
    app = make_app(**mail_config(port, **more))
    with app.app_context():
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()  # counters of an earlier test's requests must not carry over
        alice = accounts.register_user("alice", PASSWORD, "alice@example.com")
        return app, alice.user_id


@pytest.fixture
def inbox(smtp):
    return smtp[0]


def ask(client, name_or_email, **kwargs):
    """Fill in the "forgot password" form the way a browser does."""
    token = csrf_from(client.get("/forgot").get_data(as_text=True))
    return client.post("/forgot", data={"csrf_token": token, "name_or_email": name_or_email},
                       **kwargs)


def link_in(message) -> str:
    return LINK_RE.search(message.get_content()).group(1)


def test_the_mail_arrives_and_its_link_sets_a_new_password_once(app, inbox, alice):
    client = app.test_client()
    response = ask(client, "alice")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert NEUTRAL in client.get("/login").get_data(as_text=True)

    [message] = inbox.wait(1)
    assert message["To"] == "alice@example.com"
    assert message["From"] == "chatapp@chat.example.com"
    assert message["Subject"] == "Set a new chatapp password"
    assert "60 minutes" in message.get_content()
    path = link_in(message)

    page = client.get(path)
    assert page.status_code == 200 and "alice" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    done = client.post(path, data={"csrf_token": token, "new_password": "brand new pass",
                                   "confirm": "brand new pass"})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    with app.app_context():
        assert accounts.authenticate("alice", "brand new pass").user_name == "alice"

    again = app.test_client().get(path)
    assert again.status_code == 400 and "not valid" in again.get_data(as_text=True)


def test_the_email_address_finds_the_account_too_ignoring_case(app, inbox, alice):
    ask(app.test_client(), "  ALICE@Example.com ")
    [message] = inbox.wait(1)
    assert message["To"] == "alice@example.com"


def test_unknown_names_and_accounts_without_email_get_the_same_answer_and_no_mail(
        app, inbox, alice, bob, make_user):
    make_user("dave", email="dave@example.com")
    with app.app_context():
        accounts.set_user_active("dave", False)
    answers = []
    for asked in ("nobody", "nobody@example.com", "bob", "dave", "dave@example.com", "alice"):
        client = app.test_client()
        response = ask(client, asked)
        answers.append((response.status_code, response.headers["Location"],
                        NEUTRAL in client.get("/login").get_data(as_text=True)))
    assert answers == [(302, "/login", True)] * 6

    # alice's mail was asked for last: once it is in, any other would have been too.
    inbox.wait(1)
    time.sleep(0.3)
    assert [m["To"] for m in inbox.messages] == ["alice@example.com"]
    with app.test_request_context():
        for asked in ("nobody", "nobody@example.com", "bob", "dave", "dave@example.com"):
            assert mail.send_password_reset(asked) is None


def test_the_json_api_mails_the_same_link_and_answers_202_either_way(app, inbox, alice):
    api = ApiClient(app.test_client())
    assert api.post("/api/auth/password-reset", json={"name_or_email": "nobody"}
                    ).status_code == 202
    response = api.post("/api/auth/password-reset", json={"name_or_email": "alice@example.com"})
    assert response.status_code == 202 and response.get_data() == b""
    [message] = inbox.wait(1)
    assert link_in(message).startswith("/reset/")

    no_csrf = app.test_client().post("/api/auth/password-reset", json={"name_or_email": "alice"})
    assert no_csrf.status_code == 400 and error_code(no_csrf) == "csrf_failed"
    bad = api.post("/api/auth/password-reset", json={"name": "alice"})
    assert bad.status_code == 400 and error_code(bad) == "invalid_payload"


def test_a_host_header_does_not_change_the_link(app, inbox, alice):
    client = app.test_client()
    token = csrf_from(client.get("/forgot", base_url="http://evil.example").get_data(as_text=True))
    client.post("/forgot", base_url="http://evil.example",
                data={"csrf_token": token, "name_or_email": "alice"})
    [message] = inbox.wait(1)
    assert "evil.example" not in message.get_content()
    assert LINK_RE.search(message.get_content())


def test_a_chinese_speaking_user_gets_the_mail_in_chinese(app, inbox, alice, make_user):
    make_user("lihua", email="lihua@example.com")
    with app.app_context():
        accounts.set_locale(accounts.find_user_by_name("lihua"), "zh")
    ask(app.test_client(), "lihua")  # asked from an English browser: her choice wins
    [message] = inbox.wait(1)
    assert message["Subject"] == "设置新的 chatapp 密码"
    body = message.get_content()
    assert "lihua，你好" in body and "60 分钟内" in body and link_in(message)

    # alice follows the browser: a Chinese browser asking gets her a Chinese mail.
    ask(app.test_client(), "alice", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert inbox.wait(2)[1]["Subject"] == "设置新的 chatapp 密码"


def test_without_mail_there_is_no_link_and_no_page(make_app):
    app = make_app()
    client = app.test_client()
    assert "/forgot" not in client.get("/login").get_data(as_text=True)
    assert client.get("/forgot").status_code == 404
    api = ApiClient(client)
    response = api.post("/api/auth/password-reset", json={"name_or_email": "alice"})
    assert response.status_code == 404 and error_code(response) == "mail_disabled"


def test_with_mail_the_login_page_and_a_used_link_offer_the_form(app, alice):
    client = app.test_client()
    assert 'href="/forgot"' in client.get("/login").get_data(as_text=True)
    used = client.get("/reset/not-a-token")
    assert used.status_code == 400 and 'href="/forgot"' in used.get_data(as_text=True)


def test_smtp_down_gives_the_same_answer_and_logs_a_warning_without_the_link(
        make_app, caplog):
    app, alice_id = app_with_alice(make_app, free_port())  # nothing listens there
    caplog.set_level(logging.INFO, logger="chatapp.services.mail")
    client = app.test_client()
    response = ask(client, "alice")
    assert response.status_code == 302 and NEUTRAL in client.get("/login").get_data(as_text=True)
    api = ApiClient(app.test_client())
    assert api.post("/api/auth/password-reset", json={"name_or_email": "alice"}
                    ).status_code == 202

    deadline = time.monotonic() + 5
    while len([r for r in caplog.records if r.levelno == logging.WARNING]) < 2:
        assert time.monotonic() < deadline, caplog.text
        time.sleep(0.02)
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING).getMessage()
    assert "could not be sent" in warning and f"user {alice_id}" in warning
    assert "/reset/" not in caplog.text


def test_requests_are_rate_limited_per_address_on_the_page_and_the_api_together(
        make_app, smtp):
    app, _ = app_with_alice(make_app, smtp[1], RATELIMIT_ENABLED=True,
                            RESET_MAIL_RATE_LIMIT="2 per minute",
                            RESET_MAIL_ACCOUNT_RATE_LIMIT="100 per minute")
    client = app.test_client()
    assert ask(client, "nobody").status_code == 302
    assert ask(client, "alice").status_code == 302
    assert ask(client, "alice").status_code == 429
    api = ApiClient(app.test_client())
    refused = api.post("/api/auth/password-reset", json={"name_or_email": "alice"})
    assert refused.status_code == 429 and error_code(refused) == "rate_limited"
    time.sleep(0.3)
    assert len(smtp[0].messages) == 1


def test_one_account_gets_few_mails_whoever_asks(make_app, smtp):
    app, _ = app_with_alice(make_app, smtp[1], RATELIMIT_ENABLED=True,
                            RESET_MAIL_RATE_LIMIT="100 per minute",
                            RESET_MAIL_ACCOUNT_RATE_LIMIT="2 per hour")
    answers = [ask(app.test_client(), "alice").status_code for _ in range(4)]
    assert answers == [302] * 4  # the same answer: the limit is not told either
    smtp[0].wait(2)
    time.sleep(0.3)
    assert len(smtp[0].messages) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtp_log_in_with_the_configured_user(make_app):
    def authenticate(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"chat", b"s3cret"))

    inbox, controller = start_smtp(authenticator=authenticate, auth_required=True,
                                   auth_require_tls=False)
    try:
        app, _ = app_with_alice(make_app, controller.port, MAIL_USERNAME="chat",
                                MAIL_PASSWORD="s3cret")
        ask(app.test_client(), "alice")
        assert inbox.wait(1)[0]["To"] == "alice@example.com"
    finally:
        controller.stop()


@pytest.mark.parametrize(("settings", "named"), [
    ({"PUBLIC_URL": ""}, "PUBLIC_URL"),
    ({"PUBLIC_URL": "chat.example.com"}, "PUBLIC_URL"),
    ({"MAIL_SECURITY": "tls"}, "MAIL_SECURITY"),
])
def test_mail_settings_that_cannot_work_stop_the_start(make_app, settings, named):
    with pytest.raises(ConfigError, match=named):
        make_app(**mail_config(25) | settings)


def test_the_admin_link_starts_with_public_url(app, alice):
    result = app.test_cli_runner().invoke(args=["users", "reset-link", "alice"])
    assert result.exit_code == 0, result.output
    assert re.search(re.escape(PUBLIC_URL) + r"/reset/\S+", result.output)
    assert PASSWORD not in result.output
