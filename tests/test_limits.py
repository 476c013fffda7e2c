"""Every limit is defined once (chatapp/limits.py) and read by the schema, the service and the
page's script alike: changing one number there changes all of them."""

import json
import re
from pathlib import Path

import pytest

from chatapp import limits, models, schemas
from chatapp.errors import ValidationError

SCRIPTS = Path(__file__).resolve().parent.parent / "chatapp" / "static" / "js"


def test_the_columns_and_schemas_read_the_limits():
    assert models.Message.__table__.c.msg_text.type.length in (None, limits.MSG_TEXT_MAX)
    assert models.User.__table__.c.user_name.type.length == limits.USER_NAME_MAX
    assert models.Chat.__table__.c.chat_name.type.length == limits.CHAT_NAME_MAX
    for schema, most, default in ((schemas.HistoryQuery, limits.HISTORY_PAGE_MAX,
                                   limits.HISTORY_PAGE),
                                  (schemas.SearchQuery, limits.SEARCH_PAGE_MAX,
                                   limits.SEARCH_PAGE)):
        base = {"q": "x"} if schema is schemas.SearchQuery else {}
        assert schemas.load(schema, base).limit == default
        assert schemas.load(schema, {**base, "limit": most}).limit == most
        with pytest.raises(ValidationError):
            schemas.load(schema, {**base, "limit": most + 1})
    with pytest.raises(ValidationError):
        schemas.load(schemas.SearchQuery, {"q": "x" * (limits.SEARCH_QUERY_MAX + 1)})


def test_the_service_clamps_to_the_same_page_size(app, api, alice):
    from chatapp.extensions import db
    from chatapp.services import messages

    client = api(alice)
    chat_id = client.post("/api/chats", json={"chat_name": "Many", "member_ids": []}
                          ).get_json()["chat"]["chat_id"]
    for i in range(limits.HISTORY_PAGE_MAX + 5):
        client.post(f"/api/chats/{chat_id}/messages",
                    json={"text": str(i), "client_msg_id": f"m{i}"})
    with app.test_request_context():
        user = db.session.get(models.User, alice.user_id)
        page = messages.history(user, chat_id, limit=limits.HISTORY_PAGE_MAX * 10)
    assert len(page["messages"]) == limits.HISTORY_PAGE_MAX


def test_the_chat_pages_script_gets_the_limits_from_the_server(api, alice):
    client = api(alice)
    chat_id = client.post("/api/chats", json={"chat_name": "Team", "member_ids": []}
                          ).get_json()["chat"]["chat_id"]
    page = client.get(f"/chats/{chat_id}").get_data(as_text=True)
    state = json.loads(re.search(r'id="chat-state" data-live-part>(.*?)</script>', page,
                                 re.S).group(1))
    assert state["text_max"] == limits.MSG_TEXT_MAX
    assert (state["history_page"], state["history_page_max"]) == (limits.HISTORY_PAGE,
                                                                  limits.HISTORY_PAGE_MAX)
    # ... and the scripts keep no numbers of their own for them.
    for path in SCRIPTS.rglob("*.js"):
        assert not re.search(r"\blimit: \d", path.read_text()), path.name
    assert "client.text_max" in (SCRIPTS / "chat" / "composer.js").read_text()
