"""Services build payloads and emit events without a request (a command, a background task)."""


def test_deleting_a_group_member_from_the_command_line_tells_the_group(
        app, api, sio, befriend, alice, bob):
    befriend(alice, bob)
    chat_id = api(alice).post("/api/chats", json={"chat_name": "Team",
                                                  "member_ids": [bob.user_id]}
                              ).get_json()["chat"]["chat_id"]
    alices = sio(api(alice))
    alices.get_received()

    result = app.test_cli_runner().invoke(args=["users", "delete", "bob", "--yes"])

    assert result.exit_code == 0, result.output
    received = alices.get_received()
    notices = [e["args"][0]["message"] for e in received if e["name"] == "message_created"]
    assert [(n["chat_id"], n["notice"]["kind"]) for n in notices] == [(chat_id, "member_left")]
    assert notices[0]["sender"]["avatar_url"].startswith("/")
    assert [e["args"][0]["user_id"] for e in received
            if e["name"] == "member_removed"] == [bob.user_id]
