"""Mentions: <@user_id> tokens stored by id, @all for a group's owner and admins, the reader's
recent mentions, and names that follow renames."""

from sqlalchemy import select, update

from chatapp.extensions import db
from chatapp.models import User, message_mentions
from tests.helpers import error_code


def send(client, chat_id, text, cmid):
    return client.post(f"/api/chats/{chat_id}/messages",
                       json={"text": text, "client_msg_id": cmid})


def mentioned(app, msg_id):
    with app.app_context():
        return set(db.session.scalars(select(message_mentions.c.user_id).where(
            message_mentions.c.msg_id == msg_id)))


def test_a_mention_is_stored_by_id_and_named_as_people_are_now(app, api, group, alice, bob,
                                                              carol, mallory):
    sent = send(api(alice), group, f"<@{bob.user_id}> and <@{mallory.user_id}>, look", "m-1")
    message = sent.get_json()["message"]
    assert sent.status_code == 201
    # mallory is not in the group: her token stays text and mentions nobody.
    assert message["mentions"] == [{"user_id": bob.user_id, "user_name": "bob"}]
    assert message["mentions_all"] is False
    assert mentioned(app, message["msg_id"]) == {bob.user_id}
    with app.app_context():  # bob is renamed: the mention follows him
        db.session.execute(update(User).where(User.user_id == bob.user_id).values(
            user_name="robert", user_name_key="robert"))
        db.session.commit()
    page = api(carol).get(f"/api/chats/{group}/messages").get_json()
    assert page["messages"][-1]["mentions"] == [{"user_id": bob.user_id, "user_name": "robert"}]


def test_everyone_is_for_owners_and_admins(app, api, group, pair, alice, bob):
    refused = send(api(bob), group, "<@all> standup!", "m-2")
    assert refused.status_code == 403 and error_code(refused) == "cannot_mention_all"
    ok = send(api(alice), group, "<@all> standup!", "m-3").get_json()["message"]
    assert ok["mentions_all"] is True
    # In a private chat "@all" is only text.
    private = send(api(bob), pair, "<@all>", "m-4").get_json()["message"]
    assert private["mentions_all"] is False


def test_an_edit_changes_who_is_mentioned(app, api, sio, group, alice, bob, carol):
    client = api(alice)
    sent = send(client, group, f"<@{bob.user_id}> can you?", "m-5").get_json()["message"]
    edited = client.patch(f"/api/chats/{group}/messages/{sent['msg_id']}",
                          json={"text": f"<@{carol.user_id}> can you?"}).get_json()["message"]
    assert [u["user_id"] for u in edited["mentions"]] == [carol.user_id]
    assert mentioned(app, sent["msg_id"]) == {carol.user_id}
    recalled = client.post(f"/api/chats/{group}/messages/{sent['msg_id']}/recall").get_json()
    assert recalled["message"]["mentions"] == []
    assert mentioned(app, sent["msg_id"]) == set()


def test_people_list_their_recent_mentions(app, api, group, pair, alice, bob, carol):
    first = send(api(alice), group, f"<@{bob.user_id}> first", "m-6").get_json()["message"]
    send(api(alice), group, f"<@{carol.user_id}> not bob", "m-7")
    everyone = send(api(alice), group, "<@all> all hands", "m-8").get_json()["message"]
    private = send(api(alice), pair, f"<@{bob.user_id}> in private", "m-9").get_json()["message"]
    found = api(bob).get("/api/search?mentions=me").get_json()
    assert "results" in found, found
    assert [r["message"]["msg_id"] for r in found["results"]] == [
        private["msg_id"], everyone["msg_id"], first["msg_id"]]
    assert api(alice).get("/api/search?mentions=me").get_json()["results"] == []  # her own @all
    only_group = api(bob).get(f"/api/search?mentions=me&chat_id={group}").get_json()
    assert len(only_group["results"]) == 2
    paged = api(bob).get("/api/search?mentions=me&limit=2").get_json()
    assert paged["next"] == everyone["msg_id"]
    assert api(bob).get("/api/search?mentions=me&kind=files").get_json()["results"] == []
    assert error_code(api(bob).get("/api/search?mentions=me&q=first")) == "mentions_with_words"
    assert error_code(api(bob).get("/api/search?mentions=you")) == "invalid_payload"


def test_a_former_member_no_longer_lists_mentions_of_a_group_they_left(api, group, alice, bob):
    send(api(alice), group, f"<@{bob.user_id}> hi", "m-10")
    assert api(bob).post(f"/api/chats/{group}/leave").status_code == 204
    assert api(bob).get("/api/search?mentions=me").get_json()["results"] == []
