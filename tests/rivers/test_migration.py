"""The rivers branch on its own: its tables, and the case categories its cases need (added when missing)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from pingan.core.db import create_db_engine, upgrade


def test_the_branch_brings_its_tables_and_categories(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rivers.db'}"
    upgrade(url, ["rivers"])
    engine = create_db_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"rivers", "river_segments", "river_chiefs", "river_stations", "river_readings"} <= tables
        assert "grid_places" not in tables  # only the spine and what it depends on
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT code, parent_code FROM case_categories ORDER BY code")).all()
        assert [tuple(r) for r in rows] == [("10", None), ("1001", "10"), ("1004", "10")]
    finally:
        engine.dispose()


def test_the_branch_goes_away_again(tmp_path: Path) -> None:
    from alembic import command

    from pingan.core.db import alembic_config

    url = f"sqlite:///{tmp_path / 'down.db'}"
    upgrade(url, ["rivers"])
    command.downgrade(alembic_config(url), "rivers@base")
    engine = create_db_engine(url)
    try:
        assert "rivers" not in set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM case_categories")).scalar() == 0
    finally:
        engine.dispose()
