"""Search benchmark: 1,000,000 messages, Chinese, English and mixed, in 500 chats.

    make bench-search   (or: .venv/bin/python bench/search.py [--quick] [--engine ENGINE])

Builds a database through the real migrations (SQLite by default; ``--engine postgresql`` or
``both`` for a fresh database on the PostgreSQL server of ``--postgres``), fills it with a
realistic mix (a Zipf-like vocabulary of Chinese words and English words, some mixed sentences,
the same seeded corpus for every engine), indexes every message with the app's own tokenizer,
then measures for a user who is a member of 20 chats:

- common English word, rare English word, two-character Chinese word, one-character Chinese,
  a phrase, and searches filtered by chat, by sender and by kind, through ``search_messages``
  (the service the API calls; the first page of 20 results, with snippets);
- the same common and Chinese words as a plain ``LIKE '%word%'`` scan over the user's chats;
- the index size against the messages table size (SQLite's dbstat, PostgreSQL's
  pg_total_relation_size), and the query plan of a search.

Figures are printed and written to bench/out/search.json (search-postgresql.json,
search-both.json for the other engines; -quick with ``--quick``).
"""

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.messaging import summary  # noqa: E402

CHINESE = ["我们", "今天", "明天", "会议", "上海", "北京", "项目", "测试", "发布", "需求",
           "文档", "服务器", "数据库", "问题", "解决", "周末", "咖啡", "午饭", "客户", "设计",
           "代码", "评审", "版本", "上线", "回滚", "监控", "报警", "性能", "优化", "部署"]
ENGLISH = ["the", "deploy", "review", "build", "release", "meeting", "today", "tomorrow",
           "lunch", "coffee", "bug", "fix", "merge", "branch", "server", "database", "client",
           "design", "ticket", "sprint", "demo", "report", "ok", "thanks", "please", "check"]
RARE = ["kubernetes", "quokka", "zeppelin", "鲲鹏"]


def zipf_choice(rng, words):
    return words[min(len(words) - 1, int(rng.paretovariate(1.2)) - 1)]


def sentence(rng) -> str:
    roll = rng.random()
    if roll < 0.0002:
        return f"{rng.choice(RARE)} {zipf_choice(rng, ENGLISH)}"
    if roll < 0.45:
        return "".join(zipf_choice(rng, CHINESE) for _ in range(rng.randint(2, 8)))
    if roll < 0.85:
        return " ".join(zipf_choice(rng, ENGLISH) for _ in range(rng.randint(3, 14)))
    return (" ".join(zipf_choice(rng, ENGLISH) for _ in range(rng.randint(1, 4))) + " "
            + "".join(zipf_choice(rng, CHINESE) for _ in range(rng.randint(1, 4))))


def corpus(total: int, chats: int, users: int):
    """(memberships, messages): the same seeded corpus for every engine. Each message is
    (msg_id, sender, chat, seq, text, kind, time); last_seq per chat comes with it."""
    rng = random.Random(11)
    members = {c: rng.sample(range(2, users + 1), 8) for c in range(1, chats + 1)}
    for c in range(1, 21):  # user 1 is in chats 1..20
        members[c][0] = 1
    seqs = dict.fromkeys(range(1, chats + 1), 0)
    now = time.time()
    messages = []
    for msg_id in range(1, total + 1):
        chat = rng.randint(1, chats)
        seqs[chat] += 1
        sender = rng.choice(members[chat])
        kind = "text" if rng.random() < 0.97 else rng.choice(["image", "others"])
        text = sentence(rng) if kind == "text" else f"{zipf_choice(rng, ENGLISH)}.png"
        messages.append((msg_id, sender, chat, seqs[chat], text, kind, now - (total - msg_id) * 30))
    return members, seqs, messages


def _app(url: str, instance: Path):
    from chatapp import create_app

    return create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": url,
                       "RATELIMIT_ENABLED": False})


def _migrate(url: str, instance: Path) -> None:
    from chatapp.database import upgrade_database
    from chatapp.extensions import db

    app = _app(url, instance)
    upgrade_database(app)
    with app.app_context():
        db.engine.dispose()


def build_sqlite(path: Path, data, users: int) -> dict:
    from chatapp.search import tokens

    members, seqs, messages = data
    _migrate(f"sqlite:///{path}", path.parent / "instance")
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    now = time.time()
    con.executemany("INSERT INTO users (user_id, user_name, user_name_key, password, "
                    "register_time) VALUES (?, ?, ?, 'x', ?)",
                    [(u, f"user{u}", f"user{u}", now) for u in range(1, users + 1)])
    con.executemany("INSERT INTO chats (chat_id, chat_name, create_time, is_private, last_seq,"
                    " last_activity) VALUES (?, ?, ?, 0, ?, ?)",
                    [(c, f"chat {c}", now, seqs[c], now) for c in members])
    con.executemany("INSERT INTO memberships (user_id, chat_id, privilege, update_time) "
                    "VALUES (?, ?, 'member', ?)",
                    [(u, c, now) for c, us in members.items() for u in us])
    started = time.perf_counter()
    for i in range(0, len(messages), 20_000):
        batch = messages[i:i + 20_000]
        con.executemany("INSERT INTO messages (msg_id, sender_id, chat_id, seq, msg_text, "
                        "msg_type, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [(*m, m[6]) for m in batch])
        con.executemany("INSERT INTO message_fts (rowid, body) VALUES (?, ?)",
                        [(m[0], tokens.document(m[4], m[2], m[1], m[5])) for m in batch])
    con.commit()
    build_seconds = time.perf_counter() - started
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sizes = dict(con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    con.close()
    table = sizes.get("messages", 0) + sum(v for k, v in sizes.items()
                                          if k.startswith(("ix_messages", "uq_messages",
                                                           "sqlite_autoindex_messages")))
    index = sum(v for k, v in sizes.items() if k.startswith("message_fts"))
    return {"messages": len(messages), "chats": len(members), "users": users,
            "load_and_index_seconds": round(build_seconds, 1),
            "messages_table_mb": round(table / 1e6, 1), "search_index_mb": round(index / 1e6, 1),
            "index_to_table": round(index / table, 2)}


def build_postgres(url: str, instance: Path, data, users: int) -> dict:
    """Load through COPY; the GIN index is dropped for the load and built again after it, as
    a bulk load would (one sort instead of a million index inserts)."""
    import psycopg
    from sqlalchemy.engine import make_url

    from chatapp.search import fts_postgres, tokens

    members, seqs, messages = data
    _migrate(url, instance)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    now = time.time()
    with psycopg.connect(dsn) as con:
        con.execute("SET synchronous_commit = off")
        with con.cursor() as cur:
            cur.executemany("INSERT INTO users (user_id, user_name, user_name_key, password, "
                            "register_time) VALUES (%s, %s, %s, 'x', %s)",
                            [(u, f"user{u}", f"user{u}", now) for u in range(1, users + 1)])
            cur.executemany("INSERT INTO chats (chat_id, chat_name, create_time, is_private, "
                            "last_seq, last_activity) VALUES (%s, %s, %s, false, %s, %s)",
                            [(c, f"chat {c}", now, seqs[c], now) for c in members])
            cur.executemany("INSERT INTO memberships (user_id, chat_id, privilege, update_time)"
                            " VALUES (%s, %s, 'member', %s)",
                            [(u, c, now) for c, us in members.items() for u in us])
        con.execute("DROP INDEX ix_message_fts_body")
        started = time.perf_counter()
        with con.cursor().copy("COPY messages (msg_id, sender_id, chat_id, seq, msg_text, "
                               "msg_type, create_time, update_time) FROM STDIN") as copy:
            for m in messages:
                copy.write_row((*m, m[6]))
        with con.cursor().copy("COPY message_fts (msg_id, body) FROM STDIN") as copy:
            for m in messages:
                copy.write_row((m[0], fts_postgres.vector(
                    tokens.document_tokens(m[4], m[2], m[1], m[5]))))
        con.execute("SET maintenance_work_mem = '512MB'")
        con.execute("CREATE INDEX ix_message_fts_body ON message_fts USING gin (body)")
        con.commit()
        build_seconds = time.perf_counter() - started
        con.autocommit = True
        con.execute("VACUUM ANALYZE")
        table = con.execute("SELECT pg_total_relation_size('messages')").fetchone()[0]
        index = con.execute("SELECT pg_total_relation_size('message_fts')").fetchone()[0]
        gin = con.execute("SELECT pg_relation_size('ix_message_fts_body')").fetchone()[0]
    return {"messages": len(messages), "chats": len(members), "users": users,
            "load_and_index_seconds": round(build_seconds, 1),
            "messages_table_mb": round(table / 1e6, 1), "search_index_mb": round(index / 1e6, 1),
            "gin_index_mb": round(gin / 1e6, 1), "index_to_table": round(index / table, 2)}


def measure(url: str, instance: Path, rounds: int) -> dict:
    from sqlalchemy import text

    from chatapp.extensions import db
    from chatapp.models import User
    from chatapp.search.service import search_messages

    app = _app(url, instance)
    results = {}
    with app.test_request_context():
        user = db.session.get(User, 1)

        def timed(name, query, **filters):
            times, found = [], 0
            for _ in range(rounds):
                t0 = time.perf_counter()
                page = search_messages(user, query, **filters)
                times.append((time.perf_counter() - t0) * 1000)
                found = len(page["results"])
            results[name] = {"query": query, **filters, "first_page_hits": found,
                             **summary(times)}

        for name, query, filters in SEARCHES:
            timed(name, query, **filters)

        chats = ",".join(str(c) for c in range(1, 21))
        for name, word in (("like_common_english", "deploy"), ("like_chinese_two_chars", "上海"),
                           ("like_rare_english", "kubernetes"), ("like_no_hit", "zzzzqqq")):
            times = []
            for _ in range(max(3, rounds // 10)):
                t0 = time.perf_counter()
                db.session.execute(text(
                    f"SELECT msg_id FROM messages WHERE chat_id IN ({chats}) "
                    "AND msg_text LIKE :w ORDER BY msg_id DESC LIMIT 21"),
                    {"w": f"%{word}%"}).all()
                times.append((time.perf_counter() - t0) * 1000)
            results[name] = {"query": word, **summary(times)}
        results["query_plan"] = _plan(chats)
        db.session.rollback()
        db.engine.dispose()
    return results


# name, query, filters: the query classes measured, on every engine.
SEARCHES = [
    ("common_english", "deploy", {}),
    ("rare_english", "kubernetes", {}),
    ("chinese_two_chars", "上海", {}),
    ("chinese_one_char", "海", {}),
    ("chinese_phrase", "明天会议", {}),
    ("mixed", "deploy 上线", {}),
    ("phrase", '"deploy review"', {}),
    ("filter_chat", "deploy", {"chat_id": 3}),
    ("filter_sender", "上海", {"sender_id": 2}),
    ("filter_kind_image", "deploy", {"kind": "image"}),
    ("no_hit", "zzzzqqq", {}),
]


def _plan(chats: str) -> list[str]:
    """How the engine runs the search query for "deploy" in the user's 20 chats."""
    from sqlalchemy import text

    from chatapp.extensions import db
    from chatapp.search import fts_postgres, tokens

    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(text(
            "EXPLAIN QUERY PLAN SELECT f.rowid FROM message_fts AS f JOIN messages AS m "
            f"ON m.msg_id = f.rowid WHERE message_fts MATCH 'x' AND m.chat_id IN ({chats}) "
            "ORDER BY f.rowid DESC LIMIT 21")).all()
        return [row[-1] for row in rows]
    match = fts_postgres.tsquery(tokens.parse("deploy")[0], range(1, 21))
    rows = db.session.execute(text(
        "EXPLAIN (ANALYZE, COSTS OFF) SELECT f.msg_id FROM message_fts AS f JOIN messages AS m "
        "ON m.msg_id = f.msg_id WHERE f.body @@ CAST(:match AS tsquery) "
        f"AND m.chat_id IN ({chats}) ORDER BY f.msg_id DESC LIMIT 21"), {"match": match}).all()
    return [row[0] for row in rows]


def _postgres_database(admin_url: str):
    """A fresh database on the server (dropped at exit): its URL and a function dropping it."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"chatapp_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def run(engine: str, tmp: Path, data, users: int, rounds: int, admin_url: str) -> dict:
    instance = tmp / "instance"
    if engine == "sqlite":
        path = tmp / "search.db"
        report = {"database": build_sqlite(path, data, users)}
        print(f"{engine} database:", json.dumps(report["database"]), flush=True)
        report["searches"] = measure(f"sqlite:///{path}", instance, rounds)
        return report
    url, drop = _postgres_database(admin_url)
    try:
        report = {"database": build_postgres(url, instance, data, users)}
        print(f"{engine} database:", json.dumps(report["database"]), flush=True)
        report["searches"] = measure(url, instance, rounds)
    finally:
        drop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 messages, to try it")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="sqlite",
                        help="the database(s) to measure, on the same corpus (default sqlite)")
    parser.add_argument("--postgres", default=os.environ.get(
        "CHATAPP_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL server URL allowed to create databases "
             "(default $CHATAPP_BENCH_POSTGRES or the local server)")
    args = parser.parse_args()
    total = 100_000 if args.quick else 1_000_000
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    users = 400
    data = corpus(total, chats=500, users=users)
    reports = {}
    with tempfile.TemporaryDirectory(prefix="chatapp-bench-") as tmp:
        for engine in engines:
            folder = Path(tmp) / engine
            folder.mkdir()
            reports[engine] = run(engine, folder, data, users, rounds=100,
                                  admin_url=args.postgres)
    print(f"{'':24} " + " ".join(f"{e + ' p50 / p99 ms':>26}" for e in engines))
    for name in reports[engines[0]]["searches"]:
        if name == "query_plan":
            continue
        row = reports[engines[0]]["searches"][name]
        cells = [f"{r['searches'][name]['p50_ms']:11.2f} / {r['searches'][name]['p99_ms']:8.2f}"
                 for r in reports.values()]
        print(f"{name:24} " + " ".join(f"{c:>26}" for c in cells) + f"   ({row['query']!r})")
    for engine, report in reports.items():
        print(f"{engine} plan:", *report["searches"]["query_plan"], sep="\n  ")
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    suffix = "" if args.engine == "sqlite" else f"-{args.engine}"
    name = f"search{suffix}{'-quick' if args.quick else ''}.json"
    report = reports["sqlite"] if args.engine == "sqlite" else reports
    (out / name).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out / name}")


if __name__ == "__main__":
    main()
