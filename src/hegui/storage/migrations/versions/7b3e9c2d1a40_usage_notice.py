"""usage-record notice: an anti-dependence reminder went with the answer (Interim Measures Art 10)

Revision ID: 7b3e9c2d1a40
Revises: df1a4582657c
Create Date: 2026-12-05 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '7b3e9c2d1a40'
down_revision = 'df1a4582657c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.drop_column('notice')
