"""Downloading one's own data: a zip of profile, friends, the chats one is in with the messages
one can read there, and one's files; the same read rules as the app's history; rate-limited."""

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from chatapp.extensions import db, limiter
from chatapp.models import Message
from chatapp.services import accounts
from chatapp.services import export as export_service
from tests.helpers import PASSWORD, ApiClient, Person, error_code, image_bytes


def download(client, url="/api/me/export"):
    """The export as an open zip, after checking it came as an attachment."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Length"] == str(len(response.data))
    assert "no-store" in response.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    return response, archive


def read_json(archive, name):
    return json.loads(archive.read(name))


def chats_of(archive):
    return {chat["chat_id"]: chat for chat in read_json(archive, "chats.json")["chats"]}


def messages_of(archive, chat_id):
    return read_json(archive, f"chats/{chat_id}.json")["messages"]


def everything(archive) -> bytes:
    """Every entry's bytes, to look for text that must not be anywhere in the export."""
    return b"".join(archive.read(name) for name in archive.namelist())


def send(client, chat_id, text, client_msg_id):
    response = client.post(f"/api/chats/{chat_id}/messages",
                           json={"text": text, "client_msg_id": client_msg_id})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["message"]


def upload(client, chat_id, content, name, client_msg_id):
    response = client.post(f"/api/chats/{chat_id}/files",
                           data={"file": (io.BytesIO(content), name),
                                 "client_msg_id": client_msg_id},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["message"]


def assert_time_pair(body, name):
    """A time comes as epoch seconds and as the same instant in ISO 8601 UTC."""
    stamp = body[f"{name}_utc"]
    assert stamp.endswith("Z")
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None and parsed.utcoffset().total_seconds() == 0
    assert abs(parsed.timestamp() - body[name]) < 0.001


def test_the_zip_holds_profile_friends_and_the_chats_with_their_messages(three_chats, alice,
                                                                          bob, carol):
    clients, chats = three_chats
    send(clients["alice"], chats["team"], "hello team", "a-1")
    send(clients["bob"], chats["team"], "hi alice", "b-1")
    send(clients["bob"], chats["pair"], "just us", "b-2")
    send(clients["mallory"], chats["secret"], "mallory's own plans", "m-1")

    response, archive = download(clients["alice"])
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=chatapp-export-alice-{today}.zip")
    assert "profile.json" in archive.read("README.txt").decode()

    profile = read_json(archive, "profile.json")
    assert (profile["user_id"], profile["user_name"], profile["email"]) == (
        alice.user_id, "alice", "alice@example.com")
    assert profile["avatar"] is None and "password" not in profile
    assert_time_pair(profile, "register_time")
    assert_time_pair(profile, "exported_at")

    friends = read_json(archive, "friends.json")["friends"]
    assert [(f["user_id"], f["user_name"]) for f in friends] == [
        (bob.user_id, "bob"), (carol.user_id, "carol")]
    assert_time_pair(friends[0], "since")

    listed = chats_of(archive)
    assert set(listed) == {chats["team"], chats["pair"]}  # not mallory's group
    team, pair = listed[chats["team"]], listed[chats["pair"]]
    assert (team["chat_name"], team["is_private"], team["role"]) == ("Team", False, "owner")
    assert [(m["user_name"], m["role"]) for m in team["members"]] == [
        ("alice", "owner"), ("bob", "member"), ("carol", "member")]
    assert (pair["chat_name"], pair["is_private"]) == ("bob", True)
    assert team["messages_file"] == f"chats/{chats['team']}.json"

    messages = messages_of(archive, chats["team"])
    assert team["message_count"] == len(messages)
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert messages[0]["msg_type"] == "system" and messages[0]["notice"]["kind"] == "group_created"
    assert [(m["sender"]["user_name"], m["text"]) for m in messages[-2:]] == [
        ("alice", "hello team"), ("bob", "hi alice")]
    assert_time_pair(messages[-1], "create_time")
    assert [m["text"] for m in messages_of(archive, chats["pair"])] == ["just us"]
    assert f"chats/{chats['secret']}.json" not in archive.namelist()
    assert b"mallory's own plans" not in everything(archive)


def test_a_group_she_left_is_not_in_her_export(three_chats, carol):
    clients, chats = three_chats
    send(clients["carol"], chats["team"], "carol was here", "c-1")
    assert set(chats_of(download(clients["carol"])[1])) == {chats["team"]}

    assert clients["carol"].post(f"/api/chats/{chats['team']}/leave").status_code == 204
    _, archive = download(clients["carol"])
    assert chats_of(archive) == {}
    assert not [name for name in archive.namelist() if name.startswith("chats/")]
    assert b"carol was here" not in everything(archive)
    # The others still have the group, and what she said in it.
    team = messages_of(download(clients["alice"])[1], chats["team"])
    assert "carol was here" in [m.get("text") for m in team]
    assert team[-1]["notice"]["kind"] == "member_left"


def test_a_recalled_message_is_only_the_fact(app, three_chats):
    clients, chats = three_chats
    said = send(clients["alice"], chats["pair"], "the secret plan", "a-1")
    sent = upload(clients["alice"], chats["pair"], b"private attachment\n", "plan.txt", "a-2")
    for message in (said, sent):
        recall = clients["alice"].post(
            f"/api/chats/{chats['pair']}/messages/{message['msg_id']}/recall")
        assert recall.status_code == 200, recall.get_json()
    with app.app_context():  # whatever a row might still hold, the export leaves it out
        db.session.get(Message, said["msg_id"]).msg_text = "the secret plan"
        db.session.commit()

    for client in (clients["alice"], clients["bob"]):
        _, archive = download(client)
        exported = {m["msg_id"]: m for m in messages_of(archive, chats["pair"])}
        for message in (said, sent):
            body = exported[message["msg_id"]]
            assert body["recalled"] is True
            assert "text" not in body and "file" not in body
            assert_time_pair(body, "recalled_at")
        assert b"the secret plan" not in everything(archive)
        assert b"private attachment" not in everything(archive)
        assert not [name for name in archive.namelist() if name.startswith("files/")]


def test_files_in_the_zip_are_the_uploaded_bytes(three_chats, alice):
    clients, chats = three_chats
    picture, document = image_bytes("PNG", (120, 80)), b"%PDF-1.4\nminutes of the meeting\n"
    shown = upload(clients["bob"], chats["team"], picture, "whiteboard.png", "b-1")
    kept = upload(clients["alice"], chats["pair"], document, "../../minutes.pdf", "a-1")
    avatar = clients["alice"].put("/api/me/avatar",
                                  data={"avatar": (io.BytesIO(image_bytes()), "me.png")})
    assert avatar.status_code == 200

    _, archive = download(clients["alice"])
    team = {m["msg_id"]: m for m in messages_of(archive, chats["team"])}
    pair = {m["msg_id"]: m for m in messages_of(archive, chats["pair"])}
    image_file, pdf_file = team[shown["msg_id"]]["file"], pair[kept["msg_id"]]["file"]
    assert image_file["path"] == f"files/{chats['team']}/{shown['msg_id']}-whiteboard.png"
    assert (image_file["mime"], image_file["size"]) == ("image/png", len(picture))
    assert (image_file["width"], image_file["height"]) == (120, 80)
    assert pdf_file["path"] == f"files/{chats['pair']}/{kept['msg_id']}-minutes.pdf"
    assert archive.read(image_file["path"]) == picture
    assert archive.read(pdf_file["path"]) == document

    profile = read_json(archive, "profile.json")
    assert profile["avatar"] == "files/avatar.png"
    served = clients["alice"].get(f"/users/{alice.user_id}/avatar")
    assert archive.read("files/avatar.png") == served.data
    assert sorted(n for n in archive.namelist() if n.startswith("files/")) == sorted(
        ["files/avatar.png", image_file["path"], pdf_file["path"]])


def test_a_long_history_is_read_in_batches_in_order(three_chats, monkeypatch):
    clients, chats = three_chats
    for n in range(10):
        send(clients["bob"], chats["pair"], f"message {n}", f"b-{n}")
    monkeypatch.setattr(export_service, "BATCH", 3)
    read = export_service._batches
    sizes = []

    def counted(chat_id, last_seq):
        for batch in read(chat_id, last_seq):
            if chat_id == chats["pair"]:
                sizes.append(len(batch))
            yield batch

    monkeypatch.setattr(export_service, "_batches", counted)
    _, archive = download(clients["alice"])
    assert sizes == [3, 3, 3, 1]
    assert [m["text"] for m in messages_of(archive, chats["pair"])] == [
        f"message {n}" for n in range(10)]
    assert chats_of(archive)[chats["pair"]]["message_count"] == 10


def test_anonymous_is_refused(app, api):
    response = api().get("/api/me/export")
    assert response.status_code == 401 and error_code(response) == "not_authenticated"
    page = app.test_client().get("/profile/export")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=/profile/export")


def test_the_profile_page_offers_the_download(api, alice):
    client = api(alice)
    page = client.get("/profile").get_data(as_text=True)
    assert 'href="/profile/export"' in page and "Download my data" in page
    response, archive = download(client, "/profile/export")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=chatapp-export-alice-")
    assert read_json(archive, "profile.json")["user_name"] == "alice"


@pytest.fixture
def limited_app(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1000 per minute",
                   EXPORT_RATE_LIMIT="2 per hour")
    with app.app_context():
        limiter.reset()  # counters of an earlier test's users (same ids) must not carry over
    return app


def test_exports_are_rate_limited_per_user(limited_app):
    with limited_app.app_context():
        people = [accounts.register_user(name, PASSWORD, None) for name in ("alice", "bob")]
        alice, bob = (Person(u.user_id, u.user_name) for u in people)
    a = ApiClient(limited_app.test_client()).login(alice)
    download(a)
    download(a, "/profile/export")  # the page and the API spend from one allowance
    refused = a.get("/api/me/export")
    assert refused.status_code == 429 and error_code(refused) == "rate_limited"
    retry_after = refused.get_json()["error"]["details"]["retry_after"]
    assert 1 <= retry_after <= 3600 and refused.headers["Retry-After"] == str(retry_after)
    page = a.get("/profile/export")
    assert page.status_code == 429 and page.mimetype == "text/html"
    download(ApiClient(limited_app.test_client()).login(bob))  # bob has his own allowance
