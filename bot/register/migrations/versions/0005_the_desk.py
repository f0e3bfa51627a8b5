"""the desk: who holds or held a case, mentors' own capacity and away periods, sign-in links and sessions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_holders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('mentor', sa.String(length=80), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_holders_case_id_cases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_holders')),
        sa.UniqueConstraint('case_id', 'mentor', name=op.f('uq_case_holders_case_id')),
    )
    op.create_index(op.f('ix_case_holders_case_id'), 'case_holders', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_holders_mentor'), 'case_holders', ['mentor'], unique=False)
    op.create_table(
        'mentor_availability',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mentor', sa.String(length=80), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_availability')),
        sa.UniqueConstraint('mentor', name=op.f('uq_mentor_availability_mentor')),
    )
    op.create_table(
        'mentor_away',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mentor', sa.String(length=80), nullable=False),
        sa.Column('starts', sa.Date(), nullable=False),
        sa.Column('ends', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_away')),
    )
    op.create_index(op.f('ix_mentor_away_mentor'), 'mentor_away', ['mentor'], unique=False)
    op.create_table(
        'desk_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('person', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_path', sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_desk_links_token_hash')),
    )
    op.create_table(
        'desk_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_hash', sa.String(length=64), nullable=False),
        sa.Column('person', sa.String(length=80), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_sessions')),
        sa.UniqueConstraint('session_hash', name=op.f('uq_desk_sessions_session_hash')),
    )
    op.create_index(op.f('ix_desk_sessions_person'), 'desk_sessions', ['person'], unique=False)
    op.create_index('ix_cases_mentor_status', 'cases', ['mentor', 'status'], unique=False)
    op.create_index('ix_cases_created_at', 'cases', ['created_at'], unique=False)
    # Every case's current mentor holds it; earlier holders are in its "assigned" events.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, mentor, COALESCE(assigned_at, created_at) FROM cases WHERE mentor IS NOT NULL"))
    holders = {(case_id, mentor): since for case_id, mentor, since in rows}
    events = connection.execute(sa.text("SELECT case_id, at, detail FROM case_events WHERE kind = 'assigned'"))
    for case_id, at, detail in events:
        detail = detail if isinstance(detail, dict) else json.loads(detail or '{}')
        mentor = detail.get('mentor')
        if mentor:
            holders.setdefault((case_id, mentor), at)
    if holders:
        connection.execute(
            sa.text("INSERT INTO case_holders (case_id, mentor, since) VALUES (:case_id, :mentor, :since)"),
            [{'case_id': c, 'mentor': m, 'since': s} for (c, m), s in holders.items()],
        )


def downgrade() -> None:
    op.drop_index('ix_cases_created_at', table_name='cases')
    op.drop_index('ix_cases_mentor_status', table_name='cases')
    op.drop_table('desk_sessions')
    op.drop_table('desk_links')
    op.drop_table('mentor_away')
    op.drop_table('mentor_availability')
    op.drop_table('case_holders')
