"""Search: the FTS5 index of messages (SQLite), filled from the messages already stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL search has its own backend (not written yet)
    from chatapp.search import fts_sqlite, tokens

    op.execute(fts_sqlite.CREATE)
    rows = bind.exec_driver_sql(
        "SELECT msg_id, msg_text, chat_id, sender_id, msg_type FROM messages "
        "WHERE msg_type != 'system' AND recalled_at IS NULL").fetchall()
    if rows:
        bind.exec_driver_sql(
            f"INSERT INTO {fts_sqlite.TABLE} (rowid, body) VALUES (?, ?)",
            [(r[0], tokens.document(r[1], r[2], r[3], r[4])) for r in rows])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS message_fts")
