"""Search: a corpus of Chinese, English and mixed messages and the exact hits of each query."""

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from chatapp.search import tokens
from tests.helpers import image_bytes

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
        # "files": any message with a file, of every kind, and no text message.
        ("deploy", {"kind": "files"}, ["diagram"]),
        ("报告", {"kind": "files"}, ["report_file"]),
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


# label: the moment (UTC) a "standup" message was sent. 17:30 UTC on 2 December is already
# 01:30 on 3 December in Shanghai; New York's 2026 DST starts on 8 March (a 23-hour day) and
# ends on 1 November (a 25-hour day).
DATED = {
    "sh_dec2_late": datetime(2026, 12, 2, 15, 59, tzinfo=UTC),     # 23:59 2 Dec in Shanghai
    "sh_dec3_early": datetime(2026, 12, 2, 17, 30, tzinfo=UTC),    # 01:30 3 Dec in Shanghai
    "sh_dec3_last": datetime(2026, 12, 3, 15, 59, 59, tzinfo=UTC),  # 23:59:59 3 Dec
    "sh_dec4_first": datetime(2026, 12, 3, 16, 0, tzinfo=UTC),     # 00:00 4 Dec in Shanghai
    "ny_mar7_late": datetime(2026, 3, 8, 4, 30, tzinfo=UTC),       # 23:30 EST 7 March
    "ny_mar8_last": datetime(2026, 3, 9, 3, 59, tzinfo=UTC),       # 23:59 EDT 8 March
    "ny_mar9_early": datetime(2026, 3, 9, 4, 30, tzinfo=UTC),      # 00:30 EDT 9 March
    "ny_nov1_first": datetime(2026, 11, 1, 4, 0, tzinfo=UTC),      # 00:00 EDT 1 November
    "ny_nov1_late": datetime(2026, 11, 2, 4, 30, tzinfo=UTC),      # 23:30 EST 1 November
    "ny_nov2_first": datetime(2026, 11, 2, 5, 0, tzinfo=UTC),      # 00:00 EST 2 November
}


@pytest.fixture
def dated(app, three_chats):
    """alice's "standup" messages in the team chat, each moved to its moment in ``DATED``
    (no API sends a message in the past)."""
    from chatapp.extensions import db
    from chatapp.models import Message

    clients, chats = three_chats
    ids = {}
    for label in DATED:
        response = clients["alice"].post(f"/api/chats/{chats['team']}/messages",
                                         json={"text": f"standup {label}", "client_msg_id": label})
        assert response.status_code == 201, response.get_json()
        ids[label] = response.get_json()["message"]["msg_id"]
    with app.app_context():
        for label, when in DATED.items():
            db.session.execute(update(Message).where(Message.msg_id == ids[label])
                               .values(create_time=when.timestamp()))
        db.session.commit()
    return {"clients": clients, "chats": chats, "ids": ids}


def test_dates_are_days_of_the_readers_time_zone(dated):
    # Shanghai's 3 December began at 16:00 UTC the day before; UTC's began eight hours later.
    assert hits(dated, "standup", **{"from": "2026-12-03", "to": "2026-12-03",
                                     "tz": "Asia/Shanghai"}) == ["sh_dec3_last", "sh_dec3_early"]
    assert "sh_dec3_early" in hits(dated, "standup", **{"from": "2026-12-03",
                                                        "tz": "Asia/Shanghai"})
    assert "sh_dec3_early" not in hits(dated, "standup", **{"from": "2026-12-03"})
    assert hits(dated, "standup", **{"from": "2026-12-03"}) == hits(
        dated, "standup", **{"from": "2026-12-03", "tz": "UTC"}) == ["sh_dec4_first",
                                                                      "sh_dec3_last"]
    # ``to`` includes the whole local day, and not one moment of the next.
    assert hits(dated, "standup", **{"from": "2026-12-02", "to": "2026-12-02",
                                     "tz": "Asia/Shanghai"}) == ["sh_dec2_late"]
    assert hits(dated, "standup", **{"from": "2026-12-02", "to": "2026-12-02"}) == [
        "sh_dec3_early", "sh_dec2_late"]


def test_a_day_with_a_daylight_saving_change_runs_midnight_to_midnight(dated):
    new_york = {"tz": "America/New_York"}
    # 8 March 2026 has 23 hours: 00:30 EDT on the 9th is not in it, though 24 hours after
    # 00:00 EST of the 8th would be.
    assert hits(dated, "standup", **{"from": "2026-03-08", "to": "2026-03-08"}, **new_york
                ) == ["ny_mar8_last"]
    assert hits(dated, "standup", **{"from": "2026-03-09", "to": "2026-03-09"}, **new_york
                ) == ["ny_mar9_early"]
    assert hits(dated, "standup", **{"to": "2026-03-07"}, **new_york) == ["ny_mar7_late"]
    # 1 November 2026 has 25 hours: 23:30 EST is still in it.
    assert hits(dated, "standup", **{"from": "2026-11-01", "to": "2026-11-01"}, **new_york
                ) == ["ny_nov1_late", "ny_nov1_first"]
    assert hits(dated, "standup", **{"from": "2026-11-02", "to": "2026-11-02"}, **new_york
                ) == ["ny_nov2_first"]


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "asia/shanghai", "../etc/passwd",
                                  "/etc/localtime", "America", "Etc/Unknown", "x" * 300])
def test_an_unknown_time_zone_is_refused_and_nothing_is_searched(dated, monkeypatch, zone):
    import chatapp.search

    def never(*args, **kwargs):
        raise AssertionError("searched despite an unknown time zone")

    monkeypatch.setattr(chatapp.search, "find", never)
    response = dated["clients"]["alice"].get("/api/search", query_string={
        "q": "standup", "from": "2026-12-03", "tz": zone})
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "invalid_time_zone", "field": "tz", "message": "Unknown time zone."}
