from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.register.database import make_engine, upgrade
from bot.register.models import Base


def test_migrations_build_exactly_the_schema_of_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'db.sqlite'}")
    upgrade(engine)
    upgrade(engine)  # a second run changes nothing
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
