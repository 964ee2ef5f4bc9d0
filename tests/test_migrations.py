"""The migrations build the schema the models describe (on the suite's database: SQLite, and PostgreSQL when
PINGAN_TEST_DATABASE_URL is set), so a model change without its migration fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from pingan.registry import Base  # every module's tables

# What the migrations add on purpose beyond the models: PostgreSQL's BRIN index over the GPS stream.
_ONLY_IN_MIGRATIONS = {"ix_patrol_positions_fixed_ms"}


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    unexpected = [
        d
        for d in diffs
        if not (isinstance(d, tuple) and d[0] == "remove_index" and d[1].name in _ONLY_IN_MIGRATIONS)
    ]
    assert unexpected == []
