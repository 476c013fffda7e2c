"""Search on PostgreSQL: the corpus cases of test_search.py, run again on a fresh PostgreSQL
database, so both engines give the same hits; plus what is PostgreSQL's own (the migration that
fills the index, tokens PostgreSQL would refuse)."""

import pytest
from sqlalchemy import text

from chatapp.database import upgrade_database
from chatapp.extensions import db
from tests.test_ordering import pg_url  # noqa: F401 - the fixture, used by ``app``
from tests.test_search import (  # noqa: F401 - collected again here, on PostgreSQL
    QUERIES,
    corpus,
    dated,
    hits,
    test_a_day_with_a_daylight_saving_change_runs_midnight_to_midnight,
    test_an_unknown_time_zone_is_refused_and_nothing_is_searched,
    test_dates_are_days_of_the_readers_time_zone,
    test_filters,
    test_former_member_finds_nothing_of_a_chat_they_left,
    test_fts_syntax_in_queries_is_just_text,
    test_outsiders_never_get_a_hit,
    test_paging_is_keyset_and_complete,
    test_query_finds_exactly,
    test_rebuild_command_restores_the_index,
    test_recalled_messages_and_dissolved_chats_are_gone_at_once,
    test_results_carry_a_safe_snippet_and_a_link,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def app(make_app, pg_url):  # noqa: F811 - pg_url is the fixture imported above
    """The app on a fresh PostgreSQL database, migrated to the newest revision."""
    app = make_app(SQLALCHEMY_DATABASE_URI=pg_url)
    upgrade_database(app)
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
    return app


def test_the_index_is_a_gin_indexed_tsvector(app):
    with app.app_context():
        index = db.session.scalar(text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'message_fts' "
            "AND indexname = 'ix_message_fts_body'"))
    assert "USING gin (body)" in index


def test_index_rows_follow_sends_recalls_and_dissolved_groups(app, corpus):  # noqa: F811
    def rows():
        with app.app_context():
            return db.session.scalar(text("SELECT count(*) FROM message_fts"))

    assert rows() == len(corpus["ids"])  # notices are not indexed
    team = corpus["chats"]["team"]
    corpus["clients"]["alice"].post(
        f"/api/chats/{team}/messages/{corpus['ids']['fox']}/recall")
    assert rows() == len(corpus["ids"]) - 1
    corpus["clients"]["alice"].delete(f"/api/chats/{team}")
    assert rows() == 3  # the private chat's two and mallory's one


def test_a_word_too_long_for_a_postgresql_lexeme_is_found_by_its_start(corpus):  # noqa: F811
    word = "𐌰" * 1000  # 4,000 bytes; PostgreSQL takes lexemes under 2 KiB
    response = corpus["clients"]["alice"].post(
        f"/api/chats/{corpus['chats']['team']}/messages",
        json={"text": word, "client_msg_id": "long"})
    assert response.status_code == 201, response.get_json()
    found = corpus["clients"]["alice"].get("/api/search", query_string={"q": word[:50]})
    assert [r["message"]["msg_text"] for r in found.get_json()["results"]] == [word]


def test_the_migration_indexes_messages_already_stored(make_app, pg_url):  # noqa: F811
    from flask_migrate import upgrade

    app = make_app(SQLALCHEMY_DATABASE_URI=pg_url)
    with app.app_context():
        upgrade(revision="0008")
        db.session.execute(text(
            "INSERT INTO users (user_id, user_name, user_name_key, password, register_time) "
            "VALUES (1, 'alice', 'alice', 'x', 0)"))
        db.session.execute(text(
            "INSERT INTO chats (chat_id, chat_name, create_time, is_private, last_seq, "
            "last_activity) VALUES (1, 'T', 0, false, 3, 0)"))
        db.session.execute(text(
            "INSERT INTO messages (msg_id, sender_id, chat_id, seq, msg_text, msg_type, "
            "create_time, update_time, recalled_at) VALUES "
            "(1, 1, 1, 1, '我家在上海东边', 'text', 0, 0, NULL), "
            "(2, 1, 1, 2, 'alice created the group', 'system', 0, 0, NULL), "
            "(3, 1, 1, 3, '上海 recalled', 'text', 0, 0, 5)"))
        db.session.commit()
        upgrade(revision="0009")
        assert list(db.session.scalars(text("SELECT msg_id FROM message_fts"))) == [1]
        from chatapp import search
        assert search.find([1], "上海")[0] == [1]
        assert search.find([1], "group")[0] == []


@pytest.mark.parametrize("window", [1, 3, 8])
def test_the_gin_step_finds_what_the_newest_rows_do_not_hold(corpus, monkeypatch,  # noqa: F811
                                                              window):
    """The corpus is smaller than the window of newest rows; a small window sends every query
    through the second step (the GIN index on older rows) too, with the same hits."""
    from chatapp.search import fts_postgres

    monkeypatch.setattr(fts_postgres, "WINDOW", window)
    for query, expected in QUERIES:
        assert hits(corpus, query) == expected, query
    assert hits(corpus, "deploy", limit=2, before=corpus["ids"]["shouting"]) == [
        "diagram", "deploying"]
    assert hits(corpus, "deploy", sender_id=corpus["people"]["carol"].user_id,
                **{"from": "2000-01-01"}) == ["shouting"]


@pytest.mark.parametrize("text", [
    "İstanbul café naïve ÅNGSTRÖM Łódź straße", "ア・イ ーー 上海东边", "foo_bar __x__ a1_b2",
    "Привет ёлка ελληνικά άέή", "Tiếng Việt đường", "ﬁﬂ ²³ Ⅻ ① ٣٤ 한국어 ｶﾀｶﾅ", "x\u0301y 😀 ☃"])
def test_tokens_are_what_fts5_would_make_of_them(text):
    """PostgreSQL stores tokens as given; SQLite's unicode61 splits and folds them again. Both
    hold the same tokens only if that second pass changes nothing."""
    import sqlite3

    from chatapp.search import tokens

    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE f USING fts5(body, "
                "tokenize = 'unicode61 remove_diacritics 2')")
    con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, instance)")
    mine = tokens.document_tokens(text, 1, 2, "text")
    con.execute("INSERT INTO f (rowid, body) VALUES (1, ?)", (" ".join(mine),))
    assert [row[0] for row in con.execute("SELECT term FROM v ORDER BY offset")] == mine
