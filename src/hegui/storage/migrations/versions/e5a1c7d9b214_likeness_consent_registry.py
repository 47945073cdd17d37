"""likeness: consents (DS Art 14), protected voices and faces, inspection decisions; usage_records.consent_id

Revision ID: e5a1c7d9b214
Revises: c4d2e8f1a9b3
Create Date: 2026-12-02 06:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'e5a1c7d9b214'
down_revision = 'c4d2e8f1a9b3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'likeness_consents',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('app_id', sa.String(length=32), nullable=True),
        sa.Column('user_id', sa.String(length=32), nullable=True),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('uses', sa.JSON(), nullable=False),
        sa.Column('subject_hmac', sa.String(length=64), nullable=False),
        sa.Column('subject_name_enc', sa.LargeBinary(), nullable=True),
        sa.Column('deceased', sa.Boolean(), nullable=False),
        sa.Column('party', sa.String(length=16), nullable=False),
        sa.Column('relation', sa.String(length=32), nullable=True),
        sa.Column('method', sa.String(length=24), nullable=False),
        sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
        sa.Column('evidence_enc', sa.LargeBinary(), nullable=True),
        sa.Column('reference_enc', sa.LargeBinary(), nullable=True),
        sa.Column('likeness_id', sa.String(length=32), nullable=True),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.Column('recorded_by', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('likeness_consents', schema=None) as b:
        b.create_index('ix_likeness_consent_subject', ['subject_hmac', 'kind'], unique=False)
        b.create_index(b.f('ix_likeness_consents_app_id'), ['app_id'], unique=False)
        b.create_index(b.f('ix_likeness_consents_user_id'), ['user_id'], unique=False)
        b.create_index(b.f('ix_likeness_consents_likeness_id'), ['likeness_id'], unique=False)
    op.create_table(
        'protected_likenesses',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('label_enc', sa.LargeBinary(), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=False),
        sa.Column('subject_hmac', sa.String(length=64), nullable=True),
        sa.Column('encoder', sa.String(length=64), nullable=False),
        sa.Column('embedding_enc', sa.LargeBinary(), nullable=False),
        sa.Column('sample_enc', sa.LargeBinary(), nullable=True),
        sa.Column('sample_sha256', sa.String(length=64), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('recorded_by', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('protected_likenesses', schema=None) as b:
        b.create_index(b.f('ix_protected_likenesses_kind'), ['kind'], unique=False)
        b.create_index(b.f('ix_protected_likenesses_subject_hmac'), ['subject_hmac'], unique=False)
        b.create_index(b.f('ix_protected_likenesses_active'), ['active'], unique=False)
    op.create_table(
        'inspection_decisions',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('app_id', sa.String(length=32), nullable=True),
        sa.Column('file_sha256', sa.String(length=64), nullable=False),
        sa.Column('media', sa.String(length=16), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('declared', sa.String(length=16), nullable=True),
        sa.Column('result', sa.String(length=16), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('propagated', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('inspection_decisions', schema=None) as b:
        b.create_index(b.f('ix_inspection_decisions_app_id'), ['app_id'], unique=False)
        b.create_index(b.f('ix_inspection_decisions_file_sha256'), ['file_sha256'], unique=False)
        b.create_index(b.f('ix_inspection_decisions_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('usage_records', schema=None) as b:
        b.add_column(sa.Column('consent_id', sa.String(length=32), nullable=True))
        b.create_index(b.f('ix_usage_records_consent_id'), ['consent_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('usage_records', schema=None) as b:
        b.drop_index(b.f('ix_usage_records_consent_id'))
        b.drop_column('consent_id')
    op.drop_table('inspection_decisions')
    op.drop_table('protected_likenesses')
    op.drop_table('likeness_consents')
