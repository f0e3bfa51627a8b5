from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from bot.register.database import alembic_config, make_engine, upgrade
from bot.register.models import Base


def test_migrations_build_exactly_the_schema_of_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'db.sqlite'}")
    upgrade(engine)
    upgrade(engine)  # a second run changes nothing
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_desk_migration_gives_every_case_its_current_and_earlier_mentors(tmp_path: Path) -> None:
    """0005 fills case_holders from a register made before the desk: the mentor now, and each one assigned before."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    command.upgrade(alembic_config(engine), "0004")
    at = "2026-11-30 10:00:00"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO cases (id, reference, created_at, updated_at, channel, language, customer_type, need, mentor,"
                " status, consent) VALUES (1, 'FD-2026-00001', :at, :at, 'rest', 'fi', 'employer', 'apprenticeship',"
                " 'ao-pekka', 'declined', 1), (2, 'FD-2026-00002', :at, :at, 'rest', 'fi', 'employer', 'recruitment',"
                " NULL, 'new', 1)"
            ),
            {"at": at},
        )
        connection.execute(
            text(
                "INSERT INTO case_events (case_id, at, kind, actor, detail) VALUES (1, :at, 'assigned', 'frontdoor', :one),"
                " (1, :at, 'assigned', 'frontdoor', :two)"
            ),
            {"at": at, "one": json.dumps({"mentor": "ao-marja"}), "two": json.dumps({"mentor": "ao-pekka"})},
        )
    upgrade(engine)
    with engine.connect() as connection:
        holders = connection.execute(text("SELECT case_id, mentor FROM case_holders ORDER BY mentor")).all()
    assert [tuple(row) for row in holders] == [(1, "ao-marja"), (1, "ao-pekka")]
