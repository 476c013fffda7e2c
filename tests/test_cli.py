"""Administration from the command line: create, disable, enable, reset link."""

import re

from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import User
from tests.helpers import PASSWORD


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["users", *args], input=input)


def test_create_user_with_prompted_password(app, api):
    result = run(app, "create", "frank", "--email", "frank@example.com",
                 input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Created user frank" in result.output
    from tests.helpers import Person
    api(Person(0, "frank"))  # can log in with that password


def test_create_user_refusals(app, alice):
    taken = run(app, "create", "Alice", "--password", PASSWORD)
    assert taken.exit_code != 0 and "user_name_taken" in taken.output
    weak = run(app, "create", "george", "--password", "short")
    assert weak.exit_code != 0 and "weak_password" in weak.output
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_disable_ends_sessions_and_blocks_login_then_enable(app, api, alice):
    client = api(alice)
    result = run(app, "disable", "alice")
    assert result.exit_code == 0 and "Disabled alice" in result.output
    assert client.get("/api/me").status_code == 401
    response = api().post("/api/auth/login",
                          json={"user_name": "alice", "password": alice.password})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "account_disabled"

    assert run(app, "enable", "alice").exit_code == 0
    api(alice)  # logs in again


def test_unknown_user(app):
    result = run(app, "disable", "nobody")
    assert result.exit_code != 0 and "user_not_found" in result.output


def test_reset_link_prints_a_working_link(app, alice):
    result = run(app, "reset-link", "alice", "--base-url", "https://chat.example.com")
    assert result.exit_code == 0, result.output
    link = re.search(r"https://chat\.example\.com(/reset/\S+)", result.output).group(1)
    assert "valid for 60 minutes" in result.output
    assert app.test_client().get(link).status_code == 200
