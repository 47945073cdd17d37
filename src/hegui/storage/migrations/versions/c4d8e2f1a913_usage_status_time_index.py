"""usage records: (status, created_at) index for the dashboard's per-day rates (issue 13)

Revision ID: c4d8e2f1a913
Revises: 7b6adc1a2d0b
Create Date: 2026-12-10 10:00:00.000000
"""
from alembic import op


revision = 'c4d8e2f1a913'
down_revision = '7b6adc1a2d0b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_usage_status_time', 'usage_records', ['status', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_usage_status_time', table_name='usage_records')
