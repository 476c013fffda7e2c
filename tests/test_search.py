"""Search: a corpus of Chinese, English and mixed messages and the exact hits of each query."""

import io

import pytest

from chatapp.search import tokens
from tests.conftest import image_bytes

# label: (author, chat, text or ("file", name, bytes-maker))
CORPUS = [
    ("shanghai_home", "alice", "team", "我家在上海东边"),
    ("deploy_tomorrow", "bob", "team", "明天的 deploy 要早点开始"),
    ("deploying", "alice", "team", "Deploying the new build tonight"),
    ("shanghai_weather", "bob", "pair", "上海的天气不错"),
    ("moon_poem", "carol", "team", "海上生明月"),
    ("report_ready", "alice", "team", "Quarterly report is ready"),
    ("report_file", "bob", "team", ("file", "季度报告.pdf", lambda: b"%PDF-1.4 report")),
    ("diagram", "alice", "team", ("file", "deploy-diagram.png", lambda: image_bytes())),
    ("fox", "bob", "team", "The quick brown fox"),
    ("quick_brown", "alice", "pair", "quick brown"),
    ("reversed", "carol", "team", "brown quick fox"),
    ("shouting", "carol", "team", "DEPLOY NOW"),
    ("markup", "bob", "team", "<b>deploy</b> & <script>alert(1)</script>"),
    ("secret", "mallory", "secret", "上海 deploy secret plans"),
]

QUERIES = [
    ("上海", ["shanghai_weather", "shanghai_home"]),
    ("上海东", ["shanghai_home"]),
    ("上", ["moon_poem", "shanghai_weather", "shanghai_home"]),
    ("海上", ["moon_poem"]),
    ("东边", ["shanghai_home"]),
    ("天气", ["shanghai_weather"]),
    ("deploy", ["markup", "shouting", "diagram", "deploying", "deploy_tomorrow"]),
    ("DEPLOY", ["markup", "shouting", "diagram", "deploying", "deploy_tomorrow"]),
    ("depl", ["markup", "shouting", "diagram", "deploying", "deploy_tomorrow"]),
    ("明天的 deploy", ["deploy_tomorrow"]),
    ("明天的deploy", ["deploy_tomorrow"]),
    ('"quick brown"', ["quick_brown", "fox"]),
    ("quick brown", ["reversed", "quick_brown", "fox"]),
    ('"brown fox"', ["fox"]),
    ('"fox brown"', []),
    ('"上海东边"', ["shanghai_home"]),
    ('"上海的"', ["shanghai_weather"]),
    ("报告", ["report_file"]),
    ("季度报告", ["report_file"]),
    ("report", ["report_ready"]),
    ("diagram", ["diagram"]),
    ("secret", []),
    ("北京", []),
    ("alert", ["markup"]),
]


@pytest.fixture
def corpus(three_chats, alice, bob, carol):
    clients, chats = three_chats
    ids = {}
    for n, (label, author, chat, body) in enumerate(CORPUS):
        client = clients[author]
        if isinstance(body, tuple):
            _, name, make = body
            response = client.post(f"/api/chats/{chats[chat]}/files", data={
                "file": (io.BytesIO(make()), name), "client_msg_id": f"c{n}"},
                content_type="multipart/form-data")
        else:
            response = client.post(f"/api/chats/{chats[chat]}/messages",
                                   json={"text": body, "client_msg_id": f"c{n}"})
        assert response.status_code == 201, response.get_json()
        ids[label] = response.get_json()["message"]["msg_id"]
    return {"clients": clients, "chats": chats, "ids": ids,
            "people": {"alice": alice, "bob": bob, "carol": carol}}


def hits(corpus, query, who="alice", **params):
    params = {"q": query, **params}
    response = corpus["clients"][who].get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    by_id = {v: k for k, v in corpus["ids"].items()}
    return [by_id[r["message"]["msg_id"]] for r in response.get_json()["results"]]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_query_finds_exactly(corpus, query, expected):
    assert hits(corpus, query) == expected


@pytest.mark.parametrize(
    ("query", "params", "expected"),
    [
        ("上海", {"chat": "team"}, ["shanghai_home"]),
        ("上海", {"sender": "bob"}, ["shanghai_weather"]),
        ("deploy", {"kind": "image"}, ["diagram"]),
        ("deploy", {"kind": "text", "sender": "carol"}, ["shouting"]),
        ("报告", {"kind": "file"}, ["report_file"]),
        ("报告", {"kind": "text"}, []),
        ("deploy", {"from": "2000-01-01", "to": "2100-01-01"},
         ["markup", "shouting", "diagram", "deploying", "deploy_tomorrow"]),
        ("deploy", {"to": "2000-01-01"}, []),
    ],
)
def test_filters(corpus, query, params, expected):
    query_params = {}
    if "chat" in params:
        query_params["chat_id"] = corpus["chats"][params["chat"]]
    if "sender" in params:
        query_params["sender_id"] = corpus["people"][params["sender"]].user_id
    for key in ("kind", "from", "to"):
        if key in params:
            query_params[key] = params[key]
    assert hits(corpus, query, **query_params) == expected


def test_a_reversed_date_range_is_refused_not_answered_with_nothing(corpus):
    alice = corpus["clients"]["alice"]
    response = alice.get("/api/search", query_string={
        "q": "deploy", "from": "2026-11-22", "to": "2026-11-21"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "invalid_date_range", "field": "to",
        "message": "The “from” date is after the “to” date."}
    # One day is a range: both days count.
    assert hits(corpus, "deploy", **{"from": "2000-01-01", "to": "2000-01-01"}) == []


def test_outsiders_never_get_a_hit(corpus):
    assert hits(corpus, "上海", who="mallory") == ["secret"]
    assert hits(corpus, "deploy", who="mallory") == ["secret"]
    response = corpus["clients"]["mallory"].get(
        "/api/search", query_string={"q": "上海", "chat_id": corpus["chats"]["team"]})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "chat_not_found"


def test_former_member_finds_nothing_of_a_chat_they_left(corpus):
    assert "shouting" in hits(corpus, "deploy", who="carol")
    corpus["clients"]["carol"].post(f"/api/chats/{corpus['chats']['team']}/leave")
    assert hits(corpus, "deploy", who="carol") == []


def test_recalled_messages_and_dissolved_chats_are_gone_at_once(corpus):
    alice = corpus["clients"]["alice"]
    alice.post(f"/api/chats/{corpus['chats']['team']}/messages/"
               f"{corpus['ids']['shanghai_home']}/recall")
    assert hits(corpus, "上海") == ["shanghai_weather"]
    alice.delete(f"/api/chats/{corpus['chats']['team']}")
    assert hits(corpus, "deploy") == []
    assert hits(corpus, "quick") == ["quick_brown"]


def test_results_carry_a_safe_snippet_and_a_link(corpus):
    body = corpus["clients"]["alice"].get("/api/search", query_string={"q": "上海东"}).get_json()
    result = body["results"][0]
    assert result["snippet"] == [{"text": "我家在", "match": False},
                                 {"text": "上海东", "match": True},
                                 {"text": "边", "match": False}]
    assert result["chat"]["chat_name"] == "Team"
    assert result["url"] == (f"/chats/{corpus['chats']['team']}?around="
                             f"{corpus['ids']['shanghai_home']}#m{corpus['ids']['shanghai_home']}")
    markup = corpus["clients"]["alice"].get("/api/search", query_string={"q": "alert"}
                                            ).get_json()["results"][0]
    # The snippet is plain text segments: markup stays text for the client to show as text.
    assert "".join(s["text"] for s in markup["snippet"]).startswith("<b>deploy</b>")
    private = corpus["clients"]["alice"].get("/api/search", query_string={"q": "天气"}
                                             ).get_json()["results"][0]
    assert private["chat"]["chat_name"] == "bob"


def test_paging_is_keyset_and_complete(app, api, befriend, alice, bob):
    befriend(alice, bob)
    client = api(alice)
    chat_id = client.post("/api/chats/private", json={"user_id": bob.user_id}
                          ).get_json()["chat"]["chat_id"]
    for i in range(23):
        client.post(f"/api/chats/{chat_id}/messages",
                    json={"text": f"standup notes {i}", "client_msg_id": f"s{i}"})
    seen, before = [], None
    while True:
        params = {"q": "standup", "limit": 10, **({"before": before} if before else {})}
        page = client.get("/api/search", query_string=params).get_json()
        seen += [r["message"]["msg_text"] for r in page["results"]]
        before = page["next"]
        if before is None:
            break
    assert seen == [f"standup notes {i}" for i in reversed(range(23))]


@pytest.mark.parametrize(
    ("params", "code"),
    [({"q": "  "}, "empty_query"), ({"q": "x", "kind": "pdf"}, "invalid_payload"),
     ({"q": "x", "from": "21/11/2026"}, "invalid_date"), ({"q": "x", "limit": 500},
                                                          "invalid_payload"),
     ({"q": "x" * 201}, "invalid_payload"), ({"q": "x", "evil": 1}, "invalid_payload")],
)
def test_bad_searches(corpus, params, code):
    response = corpus["clients"]["alice"].get("/api/search", query_string=params)
    assert response.status_code in (400, 404)
    assert response.get_json()["error"]["code"] == code


def test_fts_syntax_in_queries_is_just_text(corpus):
    for query in ('deploy OR secret', 'NEAR(上海 deploy)', '"unclosed', "* ^ :", "body:x",
                  "上海 -deploy", '""'):
        response = corpus["clients"]["alice"].get("/api/search", query_string={"q": query})
        assert response.status_code in (200, 400), query
        if response.status_code == 200:
            assert "secret" not in [r["message"]["msg_text"] for r in
                                    response.get_json()["results"]], query


def test_forged_scope_tokens_in_text_are_removed():
    doc = tokens.document(f"hello {tokens.CHAT}99", chat_id=1, sender_id=2, kind="text")
    assert f"{tokens.CHAT}99" not in doc.split()
    assert doc.split()[-3:] == [f"{tokens.CHAT}1", f"{tokens.SENDER}2", f"{tokens.KIND}text"]


def test_rebuild_command_restores_the_index(app, corpus):
    from sqlalchemy import text

    from chatapp.extensions import db
    with app.app_context():
        db.session.execute(text("DELETE FROM message_fts"))
        db.session.commit()
    assert hits(corpus, "上海") == []
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "Indexed" in result.output
    assert hits(corpus, "上海") == ["shanghai_weather", "shanghai_home"]
