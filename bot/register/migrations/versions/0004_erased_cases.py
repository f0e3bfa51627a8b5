"""erased cases: when a case's personal data were erased or purged

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('erased_at')
