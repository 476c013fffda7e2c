"""Search benchmark: 1,000,000 messages, Chinese, English and mixed, in 500 chats.

    make bench-search          (or: .venv/bin/python bench/search.py [--quick])

Builds a SQLite database through the real migrations, fills it with a realistic mix (a Zipf-like
vocabulary of Chinese words and English words, some mixed sentences), indexes every message
with the app's own tokenizer, then measures for a user who is a member of 20 chats:

- common English word, rare English word, two-character Chinese word, one-character Chinese,
  a phrase, and searches filtered by chat, by sender and by kind, through ``search_messages``
  (the service the API calls; the first page of 20 results, with snippets);
- the same common and Chinese words as a plain ``LIKE '%word%'`` scan over the user's chats;
- the index size against the messages table size (SQLite's dbstat).

Figures are printed and written to bench/out/search.json.
"""

import argparse
import json
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


def build(path: Path, total: int, chats: int, users: int) -> dict:
    from chatapp import create_app
    from chatapp.database import upgrade_database
    from chatapp.search import tokens

    app = create_app({"INSTANCE_PATH": str(path.parent / "instance"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    upgrade_database(app)
    with app.app_context():
        from chatapp.extensions import db
        db.engine.dispose()

    rng = random.Random(11)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    now = time.time()
    con.executemany("INSERT INTO users (user_id, user_name, user_name_key, password, "
                    "register_time) VALUES (?, ?, ?, 'x', ?)",
                    [(u, f"user{u}", f"user{u}", now) for u in range(1, users + 1)])
    con.executemany("INSERT INTO chats (chat_id, chat_name, create_time, is_private, last_seq,"
                    " last_activity) VALUES (?, ?, ?, 0, 0, ?)",
                    [(c, f"chat {c}", now, now) for c in range(1, chats + 1)])
    members = {c: rng.sample(range(2, users + 1), 8) for c in range(1, chats + 1)}
    for c in range(1, 21):  # user 1 is in chats 1..20
        members[c][0] = 1
    con.executemany("INSERT INTO memberships (user_id, chat_id, privilege, update_time) "
                    "VALUES (?, ?, 'member', ?)",
                    [(u, c, now) for c, us in members.items() for u in us])
    seqs = dict.fromkeys(range(1, chats + 1), 0)
    started = time.perf_counter()
    batch = []

    def flush():
        con.executemany("INSERT INTO messages (msg_id, sender_id, chat_id, seq, msg_text, "
                        "msg_type, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [row[:8] for row in batch])
        con.executemany("INSERT INTO message_fts (rowid, body) VALUES (?, ?)",
                        [(row[0], row[8]) for row in batch])
        batch.clear()

    for msg_id in range(1, total + 1):
        chat = rng.randint(1, chats)
        seqs[chat] += 1
        sender = rng.choice(members[chat])
        kind = "text" if rng.random() < 0.97 else rng.choice(["image", "others"])
        text = sentence(rng) if kind == "text" else f"{zipf_choice(rng, ENGLISH)}.png"
        stamp = now - (total - msg_id) * 30
        batch.append((msg_id, sender, chat, seqs[chat], text, kind, stamp, stamp,
                      tokens.document(text, chat, sender, kind)))
        if len(batch) >= 20_000:
            flush()
    flush()
    con.executemany("UPDATE chats SET last_seq = ? WHERE chat_id = ?",
                    [(s, c) for c, s in seqs.items()])
    con.commit()
    build_seconds = time.perf_counter() - started
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sizes = dict(con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    con.close()
    table = sizes.get("messages", 0) + sum(v for k, v in sizes.items()
                                          if k.startswith(("ix_messages", "uq_messages",
                                                           "sqlite_autoindex_messages")))
    index = sum(v for k, v in sizes.items() if k.startswith("message_fts"))
    return {"messages": total, "chats": chats, "users": users,
            "load_and_index_seconds": round(build_seconds, 1),
            "messages_table_mb": round(table / 1e6, 1), "search_index_mb": round(index / 1e6, 1),
            "index_to_table": round(index / table, 2)}


def measure(path: Path, rounds: int) -> dict:
    from chatapp import create_app
    from chatapp.extensions import db
    from chatapp.models import User
    from chatapp.services.search import search_messages

    app = create_app({"INSTANCE_PATH": str(path.parent / "instance"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
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

        timed("common_english", "deploy")
        timed("rare_english", "kubernetes")
        timed("chinese_two_chars", "上海")
        timed("chinese_one_char", "海")
        timed("chinese_phrase", "明天会议")
        timed("mixed", "deploy 上线")
        timed("phrase", '"deploy review"')
        timed("filter_chat", "deploy", chat_id=3)
        timed("filter_sender", "上海", sender_id=2)
        timed("filter_kind_image", "deploy", kind="image")
        timed("no_hit", "zzzzqqq")

    con = sqlite3.connect(path)
    chats = ",".join(str(c) for c in range(1, 21))
    for name, word in (("like_common_english", "deploy"), ("like_chinese_two_chars", "上海"),
                       ("like_rare_english", "kubernetes"), ("like_no_hit", "zzzzqqq")):
        times = []
        for _ in range(max(3, rounds // 10)):
            t0 = time.perf_counter()
            con.execute(f"SELECT msg_id FROM messages WHERE chat_id IN ({chats}) "  # noqa: S608
                        "AND msg_text LIKE ? ORDER BY msg_id DESC LIMIT 21",
                        (f"%{word}%",)).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
        results[name] = {"query": word, **summary(times)}
    plan = con.execute(
        "EXPLAIN QUERY PLAN SELECT f.rowid FROM message_fts AS f JOIN messages AS m "
        "ON m.msg_id = f.rowid WHERE message_fts MATCH 'x' AND m.chat_id IN (1, 2) "
        "ORDER BY f.rowid DESC LIMIT 21").fetchall()
    results["query_plan"] = [row[-1] for row in plan]
    con.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 messages, to try it")
    args = parser.parse_args()
    total = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="chatapp-bench-") as tmp:
        path = Path(tmp) / "search.db"
        report = {"database": build(path, total, chats=500, users=400)}
        print("database:", json.dumps(report["database"]), flush=True)
        report["searches"] = measure(path, rounds=100)
    for name, row in report["searches"].items():
        if name != "query_plan":
            print(f"{name:24} p50 {row['p50_ms']:8.2f} ms   p99 {row['p99_ms']:8.2f} ms   "
                  f"({row['query']!r})")
    print("plan:", report["searches"]["query_plan"])
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    name = "search-quick.json" if args.quick else "search.json"
    (out / name).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out / name}")


if __name__ == "__main__":
    main()
