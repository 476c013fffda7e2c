"""Site administrators (users.is_admin) and deleted accounts (users.deleted_at).

The first account of a server that has none becomes its administrator; on a server that has
accounts already, nobody is made one here: `chatapp users admin NAME` does it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_admin', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('deleted_at', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('is_admin')
