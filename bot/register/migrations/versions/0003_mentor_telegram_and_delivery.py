"""mentor Telegram links and invites; outbox claims and details for the delivery worker

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('detail', sa.JSON(), nullable=True))
        batch.create_index('ix_outbox_next_attempt_at', ['next_attempt_at'], unique=False)
    op.create_table(
        'mentor_invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('mentor', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_invites')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_mentor_invites_code_hash')),
    )
    op.create_table(
        'mentor_telegram',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mentor', sa.String(length=80), nullable=False),
        sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_telegram')),
        sa.UniqueConstraint('mentor', name=op.f('uq_mentor_telegram_mentor')),
        sa.UniqueConstraint('telegram_user_id', name=op.f('uq_mentor_telegram_telegram_user_id')),
    )


def downgrade() -> None:
    op.drop_table('mentor_telegram')
    op.drop_table('mentor_invites')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_index('ix_outbox_next_attempt_at')
        batch.drop_column('detail')
        batch.drop_column('claimed_by')
