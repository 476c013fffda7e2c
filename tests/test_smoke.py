def test_register_and_me(api, alice):
    me = api(alice).get("/api/me")
    assert me.status_code == 200
    assert me.get_json()["user"]["user_name"] == "alice"
