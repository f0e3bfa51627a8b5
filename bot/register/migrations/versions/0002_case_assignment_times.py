"""case assignment times: when the mentor got the case, and by when they must accept it

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('respond_by', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_cases_assigned_at', ['assigned_at'], unique=False)
        batch.create_index('ix_cases_respond_by', ['respond_by'], unique=False)
    op.execute("UPDATE cases SET assigned_at = created_at WHERE mentor IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_index('ix_cases_respond_by')
        batch.drop_index('ix_cases_assigned_at')
        batch.drop_column('respond_by')
        batch.drop_column('assigned_at')
