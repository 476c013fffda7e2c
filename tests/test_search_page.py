"""The search page: results from the user's chats only, marked snippets, filters, errors."""

import io
import re
from datetime import UTC, datetime
from html import unescape

import pytest

XSS = "<script>alert('x')</script> deploy <b>now</b>"


@pytest.fixture
def chats(three_chats, alice, bob, carol, mallory):
    """The three chats of ``three_chats``, each with a few messages; returns the clients, chat
    ids and message ids by label."""
    clients, ids = three_chats
    ids = dict(ids)
    messages = [
        ("home", "alice", "team", "我家在上海东边"),
        ("weather", "bob", "pair", "上海的天气不错"),
        ("tomorrow", "bob", "team", "明天的 deploy 要早点开始"),
        ("shout", "carol", "team", "DEPLOY NOW"),
        ("xss", "bob", "team", XSS),
        ("secret", "mallory", "secret", "上海 deploy secret plans"),
    ]
    for n, (label, who, chat, text) in enumerate(messages):
        response = clients[who].post(f"/api/chats/{ids[chat]}/messages",
                                     json={"text": text, "client_msg_id": f"m{n}"})
        assert response.status_code == 201, response.get_json()
        ids[label] = response.get_json()["message"]["msg_id"]
    report = clients["bob"].post(f"/api/chats/{ids['team']}/files",
                                 data={"file": (io.BytesIO(b"%PDF-1.4 numbers"), "季度报告.pdf"),
                                       "client_msg_id": "f1"},
                                 content_type="multipart/form-data")
    assert report.status_code == 201, report.get_json()
    ids["report"] = report.get_json()["message"]["msg_id"]
    return {"clients": clients, "ids": ids, "people": {"alice": alice, "bob": bob,
                                                       "carol": carol, "mallory": mallory}}


def search(chats, who="alice", status=200, **params):
    response = chats["clients"][who].get("/search", query_string=params)
    assert response.status_code == status, response.get_data(as_text=True)[-2000:]
    return response.get_data(as_text=True)


def hits(page: str) -> list[int]:
    """The message ids of the results, in page order."""
    return [int(i) for i in re.findall(r'data-testid="hit-(\d+)"', page)]


def test_chinese_query_finds_the_users_messages_marked(chats):
    page = search(chats, q="上海")
    ids = chats["ids"]
    assert hits(page) == [ids["weather"], ids["home"]]
    assert "我家在<mark>上海</mark>东边" in page
    assert "<mark>上海</mark>的天气不错" in page
    assert "in Team" in page and "private chat with bob" in page
    assert "secret" not in page and "Mine" not in page
    team, home = ids["team"], ids["home"]
    assert f'href="/chats/{team}?around={home}#m{home}"' in page


def test_word_query_matches_prefixes_in_any_case(chats):
    ids = chats["ids"]
    page = search(chats, q="deploy")
    assert hits(page) == [ids["xss"], ids["shout"], ids["tomorrow"]]
    assert "<mark>DEPLOY</mark> NOW" in page
    assert hits(search(chats, q="depl")) == hits(page)


def test_each_result_shows_sender_avatar_and_time(chats):
    page = search(chats, q="东边")
    hit = re.search(r'<a class="hit".*?</a>', page, re.S).group(0)
    assert re.search(r'<img class="avatar avatar-md" src="/users/\d+/avatar[^"]*"', hit)
    assert '<span class="hit-sender">alice</span>' in hit
    assert re.search(r'<time class="hit-time" datetime="\d{4}-\d\d-\d\dT[^"]+">'
                     r"\d{4}-\d\d-\d\d \d\d:\d\d</time>", hit)


def test_files_are_found_by_name(chats):
    page = search(chats, q="季度")
    assert hits(page) == [chats["ids"]["report"]]
    assert '<span class="badge hit-kind">File</span>' in page
    assert "<mark>季度</mark>报告.pdf" in page


@pytest.mark.parametrize(
    ("query", "params", "expected"),
    [
        ("上海", {"chat_id": "team"}, ["home"]),
        ("deploy", {"sender_id": "carol"}, ["shout"]),
        ("deploy", {"sender_id": "bob", "kind": "text"}, ["xss", "tomorrow"]),
        ("报告", {"kind": "file"}, ["report"]),
        ("报告", {"kind": "text"}, []),
        ("deploy", {"from": "2000-01-01", "to": "2100-12-31"}, ["xss", "shout", "tomorrow"]),
        ("deploy", {"to": "2000-01-01"}, []),
        # The form sends every field; the empty ones mean "any".
        ("上海", {"chat_id": "", "sender_id": "", "kind": "", "from": "", "to": ""},
         ["weather", "home"]),
    ],
)
def test_filters_narrow_the_results(chats, query, params, expected):
    ids, people = chats["ids"], chats["people"]
    resolved = {k: (ids[v] if k == "chat_id" and v else
                    people[v].user_id if k == "sender_id" and v else v)
                for k, v in params.items()}
    page = search(chats, q=query, **resolved)
    assert hits(page) == [ids[label] for label in expected]
    if not expected:
        assert 'data-testid="search-empty"' in page and "with these filters" in page


def test_the_form_keeps_the_chosen_filters(chats):
    ids, bob = chats["ids"], chats["people"]["bob"]
    page = search(chats, q="上海", chat_id=ids["team"], sender_id=bob.user_id, kind="text",
                  **{"from": "2020-01-02"})
    assert re.search(r'<input[^>]*id="search-q"[^>]*value="上海"', page)
    assert re.search(rf'<option selected value="{ids["team"]}">Team</option>', page)
    assert re.search(rf'<option selected value="{bob.user_id}">bob</option>', page)
    assert '<option selected value="text">Text</option>' in page
    assert re.search(r'<input[^>]*name="from"[^>]*type="date"[^>]*value="2020-01-02"', page)


def test_choices_are_the_users_own_chats_and_people(chats):
    page = search(chats)
    chat_select = re.search(r'<select[^>]*name="chat_id".*?</select>', page, re.S).group(0)
    people = re.search(r'<select[^>]*name="sender_id".*?</select>', page, re.S).group(0)
    # Chats in the order of the chat list (latest activity first), people by name.
    assert re.findall(r">([^<]+)</option>", chat_select) == ["All chats", "Team", "bob"]
    assert re.findall(r">([^<]+)</option>", people) == ["Anyone", "Me", "bob", "carol"]
    assert "mallory" not in page and "Mine" not in page
    assert not hits(page) and 'role="alert"' not in page  # no query yet: just the form


def test_message_text_is_escaped_never_markup(chats):
    page = search(chats, q="alert")
    assert hits(page) == [chats["ids"]["xss"]]
    assert "<script>alert" not in page and "<b>now</b>" not in page
    assert ("&lt;script&gt;<mark>alert</mark>(&#39;x&#39;)&lt;/script&gt; deploy "
            "&lt;b&gt;now&lt;/b&gt;") in page


def test_queries_are_echoed_as_text(chats):
    page = search(chats, q='<img src=x onerror=alert(1)> "quoted"')
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_outsiders_chats_never_appear(chats):
    ids = chats["ids"]
    mine = search(chats, who="mallory", q="上海")
    assert hits(mine) == [ids["secret"]]
    assert "我家" not in mine and "天气" not in mine
    assert hits(search(chats, who="mallory", q="deploy")) == [ids["secret"]]
    # Someone else's chat as a filter: the same answer as a chat that does not exist.
    theirs = search(chats, who="mallory", status=404, q="上海", chat_id=ids["team"])
    missing = search(chats, who="mallory", status=404, q="上海", chat_id=ids["team"] + 99)
    assert "Chat not found." in theirs and "我家" not in theirs
    assert hits(theirs) == hits(missing) == []


def test_former_members_find_nothing_of_the_chat_they_left(chats):
    assert chats["ids"]["shout"] in hits(search(chats, who="carol", q="deploy"))
    chats["clients"]["carol"].post(f"/api/chats/{chats['ids']['team']}/leave")
    page = search(chats, who="carol", q="deploy")
    assert hits(page) == [] and 'data-testid="search-empty"' in page


def test_anonymous_people_are_sent_to_log_in(app):
    response = app.test_client().get("/search?q=上海")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "deploy", "from": "21/11/2026"}, "Dates are YYYY-MM-DD."),
        ({"q": "deploy", "to": "2026-13-40"}, "Dates are YYYY-MM-DD."),
        ({"q": "deploy", "from": "2026-11-22", "to": "2026-11-21"},
         "The “from” date is after the “to” date."),
        ({"q": "   "}, "Type something to search for."),
        ({"q": ""}, "Type something to search for."),
        ({"q": "deploy", "kind": "pdf"}, "These search options are not valid: kind."),
        ({"q": "deploy", "chat_id": "abc"}, "These search options are not valid: chat_id."),
        ({"q": "x" * 201}, "These search options are not valid: q."),
    ],
    ids=["from-format", "to-impossible", "reversed-range", "blank", "empty", "kind", "chat-id",
         "too-long"],
)
def test_bad_searches_are_explained_with_400(chats, params, message):
    page = search(chats, status=400, **params)
    error = re.search(r'<p class="flash flash-error search-error" role="alert"[^>]*>(.*?)</p>',
                      page).group(1)
    assert unescape(error) == message
    assert 'aria-invalid="true"' in page  # the field it is about is marked
    assert not hits(page)


def standup_notes(api, befriend, alice, bob, count: int):
    """alice's client, after she sent ``count`` "standup notes <i>" to her friend bob."""
    befriend(alice, bob)
    client = api(alice)
    chat_id = client.post("/api/chats/private", json={"user_id": bob.user_id}
                          ).get_json()["chat"]["chat_id"]
    for i in range(count):
        client.post(f"/api/chats/{chat_id}/messages",
                    json={"text": f"standup notes {i}", "client_msg_id": f"s{i}"})
    return client


def test_older_results_page_on_with_the_same_filters(api, befriend, alice, bob):
    client = standup_notes(api, befriend, alice, bob, 25)
    first = client.get("/search", query_string={"q": "standup", "kind": "text"}
                       ).get_data(as_text=True)
    assert len(hits(first)) == 20 and "Newest results" not in first
    older = unescape(re.search(r'href="([^"]+)" rel="next">Older results', first).group(1))
    assert "q=standup" in older and "kind=text" in older and "before=" in older
    second = client.get(older).get_data(as_text=True)
    assert len(hits(second)) == 5 and "Older results" not in second
    assert "Newest results" in second
    assert set(hits(first)).isdisjoint(hits(second))
    assert sorted(hits(first) + hits(second), reverse=True) == hits(first) + hits(second)


def test_every_page_has_a_search_box_in_the_top_bar(api, alice):
    page = api(alice).get("/chats").get_data(as_text=True)
    form = re.search(r'<form class="topsearch".*?</form>', page, re.S).group(0)
    assert 'method="get" action="/search"' in form
    assert '<label for="topsearch-q" class="visually-hidden">Search messages</label>' in form
    assert re.search(r'<input type="search" id="topsearch-q" name="q"', form)


def test_logged_out_pages_have_no_search_box(app):
    assert "topsearch" not in app.test_client().get("/login").get_data(as_text=True)


def tz_field(page: str) -> str:
    """The form's hidden time-zone input, which page.js fills with the browser's zone."""
    return re.search(r'<input[^>]*name="tz"[^>]*>', page).group(0)


def test_dates_are_days_of_the_readers_time_zone_and_the_form_keeps_it(app, chats):
    from chatapp.extensions import db
    from chatapp.models import Message

    # 17:30 UTC on 2 December is 01:30 on 3 December in Shanghai.
    with app.app_context():
        db.session.get(Message, chats["ids"]["home"]).create_time = datetime(
            2026, 12, 2, 17, 30, tzinfo=UTC).timestamp()
        db.session.commit()
    day = {"from": "2026-12-03", "to": "2026-12-03"}
    page = search(chats, q="上海东", tz="Asia/Shanghai", **day)
    assert hits(page) == [chats["ids"]["home"]]
    field = tz_field(page)
    assert 'type="hidden"' in field and "data-time-zone" in field
    assert 'value="Asia/Shanghai"' in field
    assert "Dates are in your time zone and both days count." in page
    # Without a zone the days are UTC's, and the field is left for the script to fill.
    page = search(chats, q="上海东", **day)
    assert not hits(page)
    assert 'value=""' in tz_field(page)


def test_an_unknown_time_zone_leaves_the_days_in_utc_and_says_so(chats):
    """The zone is the browser's, in a hidden field the reader cannot correct: a zone this
    server does not know still searches (in UTC days), with a note, rather than failing on
    every search."""
    page = search(chats, q="上海", tz="Mars/Olympus_Mons", **{"from": "2020-01-01"})
    note = re.search(r'<p class="flash flash-info" role="status" data-testid="zone-unknown">'
                     r'(.*?)</p>', page).group(1)
    assert unescape(note) == ("This server does not know your time zone (Mars/Olympus_Mons), "
                              "so the dates are UTC days.")
    assert chats["ids"]["home"] in hits(page) and "search-error" not in page
    assert 'value=""' in tz_field(page)
    assert re.search(r'<input[^>]*name="from"[^>]*value="2020-01-01"', page)
    # Other errors are still errors, the zone's note beside them.
    page = search(chats, status=400, q="上海", tz="Mars/Olympus_Mons", **{"from": "2020-13-01"})
    assert "zone-unknown" in page and "search-error" in page


def test_older_results_keep_the_time_zone(api, befriend, alice, bob):
    client = standup_notes(api, befriend, alice, bob, 21)
    first = client.get("/search", query_string={"q": "standup", "from": "2000-01-01",
                                                "tz": "Asia/Shanghai"}).get_data(as_text=True)
    older = unescape(re.search(r'href="([^"]+)" rel="next">Older results', first).group(1))
    assert "tz=Asia/Shanghai" in older and "from=2000-01-01" in older
    second = client.get(older).get_data(as_text=True)
    assert len(hits(second)) == 1 and 'value="Asia/Shanghai"' in tz_field(second)
    newest = unescape(re.search(r'href="([^"]+)">Newest results', second).group(1))
    assert "tz=Asia/Shanghai" in newest
