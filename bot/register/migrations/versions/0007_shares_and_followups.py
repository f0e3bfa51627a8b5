"""closing the loop: closed share periods, asking the customer (follow-ups) and who asked not to be asked

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'share_periods',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('starts', sa.Date(), nullable=False),
        sa.Column('ends', sa.Date(), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_by', sa.String(length=80), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_share_periods')),
        sa.UniqueConstraint('starts', name=op.f('uq_share_periods_starts')),
    )
    op.create_table(
        'followups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answer', sa.String(length=20), nullable=True),
        sa.Column('words', sa.Text(), nullable=True),
        sa.Column('skipped', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_followups_case_id_cases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followups')),
        sa.UniqueConstraint('case_id', name=op.f('uq_followups_case_id')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_followups_token_hash')),
    )
    op.create_index(op.f('ix_followups_status'), 'followups', ['status'], unique=False)
    op.create_index(op.f('ix_followups_due_at'), 'followups', ['due_at'], unique=False)
    op.create_table(
        'followup_optouts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_optouts')),
        sa.UniqueConstraint('address_hash', name=op.f('uq_followup_optouts_address_hash')),
    )


def downgrade() -> None:
    op.drop_table('followup_optouts')
    op.drop_table('followups')
    op.drop_table('share_periods')
