"""Confusable user names: the UTS #39 skeleton of each user name (users.user_name_skeleton),
unique, so "аdmin" (Cyrillic а) cannot sit beside "admin". Filled for existing accounts; where
two existing names already collide, the newer account keeps NULL (it stays usable).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

from chatapp.names import name_skeleton


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_name_skeleton', sa.String(length=400),
                                      nullable=True))
    users = sa.table('users', sa.column('user_id', sa.BigInteger()),
                     sa.column('user_name_key', sa.String()),
                     sa.column('user_name_skeleton', sa.String()))
    connection = op.get_bind()
    seen = set()
    rows = connection.execute(sa.select(users.c.user_id, users.c.user_name_key)
                              .order_by(users.c.user_id)).all()
    for user_id, key in rows:
        skeleton = name_skeleton(key)
        if skeleton in seen:
            continue
        seen.add(skeleton)
        connection.execute(users.update().where(users.c.user_id == user_id)
                           .values(user_name_skeleton=skeleton))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_users_user_name_skeleton'),
                                          ['user_name_skeleton'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_user_name_skeleton'), type_='unique')
        batch_op.drop_column('user_name_skeleton')
