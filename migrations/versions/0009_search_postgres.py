"""Search on PostgreSQL: table message_fts (msg_id, body tsvector) with a GIN index, filled
from the messages already stored with the same tokens as the SQLite index. SQLite: nothing
(its FTS5 index is revision 0005's).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from chatapp.search import fts_postgres, tokens

    op.execute(
        "CREATE TABLE message_fts ("
        "msg_id BIGINT PRIMARY KEY REFERENCES messages (msg_id) ON DELETE CASCADE, "
        "body TSVECTOR NOT NULL)")
    last = 0
    while True:
        rows = bind.exec_driver_sql(
            "SELECT msg_id, msg_text, chat_id, sender_id, msg_type FROM messages "
            "WHERE msg_type != 'system' AND recalled_at IS NULL AND msg_id > %(last)s "
            "ORDER BY msg_id LIMIT %(batch)s", {"last": last, "batch": BATCH}).fetchall()
        if not rows:
            break
        bind.exec_driver_sql(
            "INSERT INTO message_fts (msg_id, body) VALUES (%s, CAST(%s AS tsvector))",
            [(r[0], fts_postgres.vector(tokens.document_tokens(r[1], r[2], r[3], r[4])))
             for r in rows])
        last = rows[-1][0]
    # Built after the fill: one sort instead of a GIN insert per row.
    op.execute("CREATE INDEX ix_message_fts_body ON message_fts USING gin (body)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS message_fts")
