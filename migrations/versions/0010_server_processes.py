"""Presence that survives crashes: each serving process has a row with a heartbeat
(server_processes), and each socket row names its process (user_sockets.process_id), so the
sockets of a process that died are reaped. Socket rows from before are dropped: their sockets
reconnect and are recorded again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'server_processes',
        sa.Column('process_id', sa.String(length=64), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=False),
        sa.Column('heartbeat_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('process_id', name=op.f('pk_server_processes')),
    )
    with op.batch_alter_table('server_processes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_server_processes_heartbeat_at'), ['heartbeat_at'],
                              unique=False)
    op.execute("DELETE FROM user_sockets")
    with op.batch_alter_table('user_sockets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_sockets_process_id'), ['process_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('user_sockets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sockets_process_id'))
        batch_op.drop_column('process_id')
    with op.batch_alter_table('server_processes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_server_processes_heartbeat_at'))
    op.drop_table('server_processes')
