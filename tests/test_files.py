"""Files in chats: upload, kind from content, safe names, limits, thumbnails, serving, cleanup."""

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import Message
from tests.helpers import events, image_bytes, uploads_in

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def files_group(api, befriend, alice, bob):
    """"Files": a group alice owns with bob as its other member. Its id."""
    befriend(alice, bob)
    response = api(alice).post("/api/chats", json={"chat_name": "Files",
                                                   "member_ids": [bob.user_id]})
    return response.get_json()["chat"]["chat_id"]


def upload(client, chat_id, content, name, client_msg_id="f-1"):
    return client.post(f"/api/chats/{chat_id}/files",
                       data={"file": (io.BytesIO(content), name), "client_msg_id": client_msg_id},
                       content_type="multipart/form-data")


def stored_files(app):
    return [f for f in uploads_in(app, "files") if not f.startswith(".")]


def fixture(name):
    return (FIXTURES / name).read_bytes()


# --- kinds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "kind", "mime"),
    [
        (lambda: image_bytes("PNG", (800, 600)), "screenshot.png", "image", "image/png"),
        (lambda: image_bytes("JPEG", (640, 480)), "photo.jpg", "image", "image/jpeg"),
        (lambda: image_bytes("GIF", (40, 40)), "anim.gif", "image", "image/gif"),
        (lambda: fixture("tone.mp3"), "voice note.mp3", "audio", "audio/mpeg"),
        (lambda: fixture("tone.wav"), "tone.wav", "audio", "audio/x-wav"),
        (lambda: fixture("clip.mp4"), "clip.mp4", "video", "video/mp4"),
        (lambda: fixture("clip.webm"), "clip.webm", "video", "video/webm"),
        (lambda: b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "report.pdf",
         "others", "application/octet-stream"),
        (lambda: b"just some text\n", "notes.txt", "others", "application/octet-stream"),
    ],
    ids=["png", "jpeg", "gif", "mp3", "wav", "mp4", "webm", "pdf", "text"],
)
def test_kind_comes_from_the_content(app, api, sio, files_group, alice, bob, content, name, kind,
                                     mime):
    b = sio(api(bob))
    events(b)
    response = upload(api(alice), files_group, content(), name)
    assert response.status_code == 201, response.get_json()
    message = response.get_json()["message"]
    assert message["msg_type"] == kind
    assert message["msg_text"] == name  # the original name, as the text
    assert message["file"]["mime"] == mime and message["file"]["size"] == len(content())
    delivered = [p["message"] for p in events(b, "message_created")]
    assert [m["msg_id"] for m in delivered] == [message["msg_id"]]
    served = api(bob).get(message["file"]["url"])
    assert served.status_code == 200 and served.data == content()


def test_image_gets_a_bounded_thumbnail_and_its_dimensions(app, api, files_group, alice, bob):
    message = upload(api(alice), files_group, image_bytes("PNG", (1600, 900)),
                     "wide.png").get_json()["message"]
    assert (message["file"]["width"], message["file"]["height"]) == (1600, 900)
    thumb = api(bob).get(message["file"]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/webp"
    image = Image.open(io.BytesIO(thumb.data))
    assert max(image.size) == 320 and image.size == (320, 180)
    assert len(stored_files(app)) == 2  # the file and its thumbnail


def test_sideways_photo_reports_its_upright_size(api, files_group, alice):
    image = Image.new("RGB", (400, 300), (10, 200, 10))
    exif = image.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to show
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    message = upload(api(alice), files_group, out.getvalue(), "portrait.jpg").get_json()["message"]
    assert (message["file"]["width"], message["file"]["height"]) == (300, 400)
    thumb = Image.open(io.BytesIO(api(alice).get(message["file"]["thumbnail_url"]).data))
    assert thumb.size == (240, 320)  # the thumbnail is upright too


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><body><script>alert(document.cookie)</script></body></html>", "cute.png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
         b"</svg>", "logo.svg"),
        (b"\x89PNG\r\n\x1a\n<script>alert(1)</script>", "broken.png"),
    ],
    ids=["html-named-png", "svg-with-script", "png-header-then-html"],
)
def test_files_that_lie_about_their_type_are_downloads(app, api, files_group, alice, bob, content,
                                                       name):
    message = upload(api(alice), files_group, content, name).get_json()["message"]
    assert message["msg_type"] == "others"
    assert message["file"]["thumbnail_url"] is None
    served = api(bob).get(message["file"]["url"])
    assert served.status_code == 200
    assert served.mimetype == "application/octet-stream"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert api(bob).get(f"/files/{message['msg_id']}/thumbnail").status_code == 404


def test_media_is_inline_with_ranges_and_caching(app, api, files_group, alice, bob):
    video = fixture("clip.mp4")
    message = upload(api(alice), files_group, video, "clip.mp4").get_json()["message"]
    client = api(bob)
    full = client.get(message["file"]["url"])
    assert full.headers["Content-Disposition"].startswith("inline")
    assert full.headers["Accept-Ranges"] == "bytes"
    assert "private" in full.headers["Cache-Control"] and full.headers["ETag"]
    part = client.get(message["file"]["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == video[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(video)}"
    again = client.get(message["file"]["url"], headers={"If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304


# --- names and paths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../x", "x"),
        ("/etc/passwd", "passwd"),
        # The multipart header quotes the name, where a backslash escapes the next character.
        ("..\\..\\windows\\system.ini", "windowssystem.ini"),
        ("evil\x00.png", "evil.png"),
        ("line\tbreak\x1b.txt", "linebreak.txt"),
        ("..", "file"),
        ("报告 2026.pdf", "报告 2026.pdf"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
    ids=["dotdot", "absolute", "backslashes", "nul", "controls", "only-dots", "chinese",
         "too-long"],
)
def test_names_never_become_paths(app, api, files_group, alice, tmp_path, name, shown):
    response = upload(api(alice), files_group, b"data", name)
    assert response.status_code == 201, response.get_json()
    message = response.get_json()["message"]
    assert message["msg_text"] == shown
    root = os.path.realpath(app.config["UPLOAD_FOLDER"])
    with app.app_context():
        stored = db.session.get(Message, message["msg_id"]).msg_file
    assert re.fullmatch(r"files/[0-9a-f]{32}\.bin", stored)  # a name the server made
    assert os.path.realpath(os.path.join(root, stored)).startswith(root + os.sep)
    assert not (tmp_path / "x").exists() and not Path("/x").exists()


# --- limits --------------------------------------------------------------------------------


def test_file_over_the_limit_is_refused_and_leaves_nothing(make_app, tmp_path):
    app = make_app(UPLOAD_MAX_BYTES=10_000)
    from tests.helpers import ApiClient
    with app.test_request_context():
        from chatapp.models import User
        from chatapp.services import accounts, groups
        alice = accounts.register_user("alice", "correct horse battery")
        chat = groups.create_group(db.session.get(User, alice.user_id), "Solo", [])
        chat_id = chat.chat_id
    client = ApiClient(app.test_client())
    client.post("/api/auth/login", json={"user_name": "alice",
                                         "password": "correct horse battery"})
    response = upload(client, chat_id, b"x" * 10_001, "big.bin")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "file_too_large"
    assert stored_files(app) == [] and uploads_in(app, "files") == []
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Message).where(
            Message.msg_file.is_not(None))) == 0


def test_request_over_max_content_length_is_refused_before_reading(make_app):
    app = make_app(MAX_CONTENT_LENGTH=20_000)
    from tests.helpers import ApiClient
    with app.app_context():
        from chatapp.services import accounts
        accounts.register_user("alice", "correct horse battery")
    client = ApiClient(app.test_client())
    client.post("/api/auth/login", json={"user_name": "alice",
                                         "password": "correct horse battery"})
    response = upload(client, 1, b"x" * 50_000, "big.bin")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert uploads_in(app, "files") == []


def test_decompression_bomb_is_refused(make_app, api):
    app = make_app(IMAGE_MAX_PIXELS=1_000_000)
    from tests.helpers import ApiClient
    with app.test_request_context():
        from chatapp.models import User
        from chatapp.services import accounts, groups
        alice = accounts.register_user("alice", "correct horse battery")
        chat_id = groups.create_group(db.session.get(User, alice.user_id), "Solo", []).chat_id
    client = ApiClient(app.test_client())
    client.post("/api/auth/login", json={"user_name": "alice",
                                         "password": "correct horse battery"})
    bomb = image_bytes("PNG", (3000, 3000), (0, 0, 0))
    response = upload(client, chat_id, bomb, "bomb.png")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "image_too_large"
    assert uploads_in(app, "files") == []


def test_upload_refusals(app, api, files_group, alice, mallory):
    outsider = upload(api(mallory), files_group, b"data", "x.txt")
    assert outsider.status_code == 404
    assert outsider.get_json()["error"]["code"] == "chat_not_found"
    missing = api(alice).post(f"/api/chats/{files_group}/files", data={"client_msg_id": "x"},
                              content_type="multipart/form-data")
    assert missing.get_json()["error"]["code"] == "missing_file"
    no_id = api(alice).post(f"/api/chats/{files_group}/files",
                            data={"file": (io.BytesIO(b"x"), "x.txt")},
                            content_type="multipart/form-data")
    assert no_id.get_json()["error"]["code"] == "invalid_client_msg_id"
    assert stored_files(app) == []


def test_retry_stores_the_file_once(app, api, sio, files_group, alice, bob):
    b = sio(api(bob))
    client = api(alice)
    first = upload(client, files_group, image_bytes(), "a.png", client_msg_id="same")
    events(b)
    second = upload(client, files_group, image_bytes(), "a.png", client_msg_id="same")
    assert second.status_code == 200 and second.get_json()["created"] is False
    assert second.get_json()["message"]["msg_id"] == first.get_json()["message"]["msg_id"]
    assert events(b, "message_created") == []
    assert len(stored_files(app)) == 2  # one file, one thumbnail


# --- who may fetch, and cleanup ------------------------------------------------------------


def same_page(response) -> bytes:
    """The page without its CSRF token, which is signed with the time (two requests a second
    apart differ there and nowhere else)."""
    return re.sub(rb'name="csrf-token" content="[^"]*"', b"", response.get_data())


def test_outsiders_get_not_found_for_files_and_thumbnails(app, api, files_group, alice, mallory):
    message = upload(api(alice), files_group, image_bytes(), "secret.png").get_json()["message"]
    m = api(mallory)
    for url in (message["file"]["url"], message["file"]["thumbnail_url"]):
        hidden = m.get(url)
        missing = m.get(url.replace(str(message["msg_id"]), str(message["msg_id"] + 999)))
        assert hidden.status_code == missing.status_code == 404
        assert same_page(hidden) == same_page(missing)
    anonymous = app.test_client().get(message["file"]["url"])
    assert anonymous.status_code == 302


def test_recall_removes_the_file_and_thumbnail(app, api, files_group, alice, bob):
    client = api(alice)
    message = upload(client, files_group, image_bytes(), "oops.png").get_json()["message"]
    assert len(stored_files(app)) == 2
    recalled = client.post(f"/api/chats/{files_group}/messages/{message['msg_id']}/recall")
    assert recalled.status_code == 200
    assert "file" not in recalled.get_json()["message"]
    assert stored_files(app) == []
    assert api(bob).get(message["file"]["url"]).status_code == 404


def test_dissolving_a_chat_removes_its_files(app, api, files_group, alice):
    client = api(alice)
    upload(client, files_group, image_bytes(), "a.png", "d1")
    upload(client, files_group, b"doc", "b.txt", "d2")
    assert len(stored_files(app)) == 3
    assert client.delete(f"/api/chats/{files_group}").status_code == 204
    assert stored_files(app) == []


def test_history_carries_file_details(api, files_group, alice, bob):
    upload(api(alice), files_group, image_bytes("PNG", (30, 20)), "tiny.png")
    page = api(bob).get(f"/api/chats/{files_group}/messages").get_json()
    image = [m for m in page["messages"] if m["msg_type"] == "image"][0]
    assert image["file"]["name"] == "tiny.png"
    assert (image["file"]["width"], image["file"]["height"]) == (30, 20)


# --- avatars: served like files, only of people who exist to others ------------------------


def test_avatars_of_disabled_and_deleted_people_are_not_found(app, api, alice, bob, carol):
    a, b, c = api(alice), api(bob), api(carol)
    a.put("/api/me/avatar", data={"avatar": (io.BytesIO(image_bytes()), "me.png")})
    alice_url = a.get("/api/me").get_json()["user"]["avatar_url"]
    carol_url = f"/users/{carol.user_id}/avatar"
    assert b.get(alice_url).status_code == 200 and b.get(carol_url).status_code == 200
    from chatapp.services import accounts
    with app.app_context():
        accounts.set_user_active("alice", False)
    assert b.get(alice_url).status_code == 404  # as for an id nobody has
    assert c.delete("/api/me", json={"password": carol.password}).status_code == 204
    assert b.get(carol_url).status_code == 404
    with app.app_context():
        accounts.set_user_active("alice", True)
    assert b.get(alice_url).status_code == 200


def test_avatars_carry_the_file_policy(api, alice, bob):
    a, b = api(alice), api(bob)
    default = b.get(f"/users/{alice.user_id}/avatar")
    a.put("/api/me/avatar", data={"avatar": (io.BytesIO(image_bytes()), "me.png")})
    uploaded = b.get(a.get("/api/me").get_json()["user"]["avatar_url"])
    for response in (default, uploaded):
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"] == \
            "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert uploaded.mimetype == "image/png"


def test_a_deleted_senders_messages_show_the_default_avatar(api, befriend, alice, bob):
    """Their avatar answers 404, so what names them points at the default picture instead of
    a broken image."""
    befriend(alice, bob)
    a, b = api(alice), api(bob)
    chat_id = a.post("/api/chats/private", json={"user_id": bob.user_id}).get_json()["chat"][
        "chat_id"]
    b.put("/api/me/avatar", data={"avatar": (io.BytesIO(image_bytes()), "me.png")})
    b.post(f"/api/chats/{chat_id}/messages", json={"text": "bye", "client_msg_id": "b-1"})
    sender = a.get(f"/api/chats/{chat_id}/messages").get_json()["messages"][-1]["sender"]
    assert sender["avatar_url"].startswith(f"/users/{bob.user_id}/avatar")
    assert b.delete("/api/me", json={"password": bob.password}).status_code == 204
    sender = a.get(f"/api/chats/{chat_id}/messages").get_json()["messages"][-1]["sender"]
    assert sender["avatar_url"] == "/static/img/default-avatar.svg"
    assert a.get(sender["avatar_url"]).status_code == 200
