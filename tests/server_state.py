"""What a server shows its users, to compare two servers (a backup restored, an export
imported): a populated installation, and every person's API answers about it."""

import io
from contextlib import ExitStack, contextmanager

import pytest

from chatapp import create_app
from chatapp.extensions import db
from tests.helpers import ApiClient, image_bytes, require
from tests.helpers.databases import app_config
from tests.live_server import PostgresUnavailable, postgres_database


def populate(api, befriend, people):
    """Friends, a group, a private chat, text (English and Chinese), an image, a recalled
    message and read positions; returns the image's bytes."""
    alice, bob, carol = people
    befriend(alice, bob)
    befriend(alice, carol)
    a, b = api(alice), api(bob)
    group = a.post("/api/chats", json={"chat_name": "Team",
                                       "member_ids": [bob.user_id, carol.user_id]}
                   ).get_json()["chat"]["chat_id"]
    pair = a.post("/api/chats/private", json={"user_id": bob.user_id}).get_json()["chat"]["chat_id"]
    for n, text in enumerate(["hello team", "我家在上海东边", "the build is green"]):
        assert a.post(f"/api/chats/{group}/messages",
                      json={"text": text, "client_msg_id": f"g{n}"}).status_code == 201
    assert b.post(f"/api/chats/{pair}/messages",
                  json={"text": "lunch at noon?", "client_msg_id": "p0"}).status_code == 201
    oops = a.post(f"/api/chats/{pair}/messages", json={"text": "oops", "client_msg_id": "p1"})
    a.post(f"/api/chats/{pair}/messages/{oops.get_json()['message']['msg_id']}/recall")
    image = image_bytes("PNG", (640, 480))
    uploaded = a.post(f"/api/chats/{group}/files",
                      data={"file": (io.BytesIO(image), "plan.png"), "client_msg_id": "f0"},
                      content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.get_json()
    b.post(f"/api/chats/{group}/read", json={"up_to_seq": 2})
    return image


def answers(app, people) -> dict:
    """Each person's view through the JSON API: chats, friends, every chat's history and
    receipts, searches, and the bytes of every file and thumbnail they can open."""
    seen = {}
    for person in people:
        client = ApiClient(app.test_client()).login(person)
        me = client.get("/api/me").get_json()
        me["user"].pop("login_time")  # logging in to look sets it
        view = {"me": me,
                "chats": client.get("/api/chats").get_json(),
                "friends": client.get("/api/friends").get_json(),
                "search": [client.get(f"/api/search?q={q}").get_json()
                           for q in ("hello", "上海", "plan", "oops")]}
        for chat in view["chats"]["chats"]:
            history = client.get(f"/api/chats/{chat['chat_id']}/messages").get_json()
            view[f"chat {chat['chat_id']}"] = history
            for message in history["messages"]:
                for key in ("url", "thumbnail_url"):
                    if (message.get("file") or {}).get(key):
                        url = message["file"][key]
                        view[url] = client.get(url).data
            for message in history["messages"]:
                view[f"receipts {message['msg_id']}"] = client.get(
                    f"/api/chats/{chat['chat_id']}/messages/{message['msg_id']}/receipts"
                ).get_json()
        seen[person.user_name] = view
    return seen


@contextmanager
def empty_database(engine, folder):
    """The URL of an empty database of ``engine`` (a new SQLite file, or a new PostgreSQL
    database dropped afterwards)."""
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'restored.db'}"
        return
    try:
        with postgres_database("chatapp_restore") as url:
            yield url
    except PostgresUnavailable as error:
        require(False, str(error))


@pytest.fixture
def people(alice, bob, carol):
    """The three people ``populate`` and ``answers`` are about."""
    return [alice, bob, carol]


@pytest.fixture
def instance(tmp_path):
    """Build apps on new, empty instances of either engine: ``instance(name, engine,
    **config)`` gives an app with a folder of its own and an empty database."""
    with ExitStack() as stack:
        apps = []

        def build(name, engine, **overrides):
            folder = tmp_path / name
            folder.mkdir()
            url = stack.enter_context(empty_database(engine, folder))
            app = create_app(app_config(folder, url) | overrides)
            apps.append(app)
            return app

        yield build
        for app in apps:
            with app.app_context():
                db.engine.dispose()
