"""Pins (messages.pinned_at, pinned_by), forwarded copies (messages.forwarded_from_id),
mentions (message_mentions, messages.mentions_all) and each member's notification level for a
chat (memberships.notify: all, mentions or none).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pinned_at', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('pinned_by', BigId, nullable=True))
        batch_op.add_column(sa.Column('forwarded_from_id', BigId, nullable=True))
        batch_op.add_column(sa.Column('mentions_all', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.create_foreign_key('fk_messages_pinned_by_users', 'users', ['pinned_by'],
                                    ['user_id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_messages_forwarded_from_id_users', 'users',
                                    ['forwarded_from_id'], ['user_id'], ondelete='SET NULL')
        batch_op.create_index('ix_messages_msg_file', ['msg_file'])
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify', sa.String(length=10), server_default='all',
                                      nullable=False))
        batch_op.create_check_constraint('notify', "notify IN ('all', 'mentions', 'none')")
    op.create_table(
        'message_mentions',
        sa.Column('msg_id', BigId, sa.ForeignKey('messages.msg_id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('user_id', BigId, sa.ForeignKey('users.user_id', ondelete='CASCADE'),
                  primary_key=True),
    )
    op.create_index('ix_message_mentions_user_id', 'message_mentions', ['user_id'])


def downgrade():
    op.drop_index('ix_message_mentions_user_id', table_name='message_mentions')
    op.drop_table('message_mentions')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_memberships_notify'), type_='check')
        batch_op.drop_column('notify')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_msg_file')
        batch_op.drop_constraint('fk_messages_forwarded_from_id_users', type_='foreignkey')
        batch_op.drop_constraint('fk_messages_pinned_by_users', type_='foreignkey')
        batch_op.drop_column('mentions_all')
        batch_op.drop_column('forwarded_from_id')
        batch_op.drop_column('pinned_by')
        batch_op.drop_column('pinned_at')
