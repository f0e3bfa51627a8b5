"""closing the loop: each case's outcome, the partners that delivered it, the partner it came in through

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('outcome', sa.String(length=30), nullable=True))
        batch.add_column(sa.Column('outcome_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('delivered_by', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('entry_partner', sa.String(length=80), nullable=True))
        batch.create_index('ix_cases_outcome', ['outcome'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_index('ix_cases_outcome')
        batch.drop_column('entry_partner')
        batch.drop_column('delivered_by')
        batch.drop_column('outcome_at')
        batch.drop_column('outcome')
