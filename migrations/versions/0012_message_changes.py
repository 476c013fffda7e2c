"""Message changes: edits (messages.edited_at, message_edits), replies (messages.reply_to_id),
reactions, and the per-chat change position (chats.last_change, messages.change_seq) that
catch-up after a reconnect reads to learn which old messages changed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_change', sa.BigInteger(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_seq', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('edited_at', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('reply_to_id', BigId, nullable=True))
        batch_op.create_foreign_key('fk_messages_reply_to_id_messages', 'messages',
                                    ['reply_to_id'], ['msg_id'], ondelete='SET NULL')
        batch_op.create_index('ix_messages_chat_id_change_seq', ['chat_id', 'change_seq'])
    op.create_table(
        'message_edits',
        sa.Column('edit_id', BigId, primary_key=True),
        sa.Column('msg_id', BigId, sa.ForeignKey('messages.msg_id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('msg_text', sa.String(length=1000), nullable=False),
        sa.Column('replaced_at', sa.Float(), nullable=False),
    )
    op.create_index('ix_message_edits_msg_id', 'message_edits', ['msg_id'])
    op.create_table(
        'reactions',
        sa.Column('msg_id', BigId, sa.ForeignKey('messages.msg_id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('user_id', BigId, sa.ForeignKey('users.user_id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('emoji', sa.String(length=32), primary_key=True),
        sa.Column('create_time', sa.Float(), nullable=False),
    )
    op.create_index('ix_reactions_user_id', 'reactions', ['user_id'])


def downgrade():
    op.drop_index('ix_reactions_user_id', table_name='reactions')
    op.drop_table('reactions')
    op.drop_index('ix_message_edits_msg_id', table_name='message_edits')
    op.drop_table('message_edits')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_chat_id_change_seq')
        batch_op.drop_constraint('fk_messages_reply_to_id_messages', type_='foreignkey')
        batch_op.drop_column('reply_to_id')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('change_seq')
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('last_change')
