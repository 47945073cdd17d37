"""console: keyset-paging index on usage_records (created_at, id); review_queue.reason (flag | refused | cut)

Revision ID: c4d2e8f1a9b3
Revises: c4d8e2f1a913
Create Date: 2026-12-10 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'c4d2e8f1a9b3'
down_revision = 'c4d8e2f1a913'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.create_index('ix_usage_created_id', ['created_at', 'id'], unique=False)
        batch_op.drop_index('ix_usage_records_created_at')
    with op.batch_alter_table('review_queue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=16), server_default='flag', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('review_queue', schema=None) as batch_op:
        batch_op.drop_column('reason')
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.create_index('ix_usage_records_created_at', ['created_at'], unique=False)
        batch_op.drop_index('ix_usage_created_id')
