"""The migrations build the schema the models describe (on the suite's database: SQLite, and PostgreSQL when
PINGAN_TEST_DATABASE_URL is set), so a model change without its migration fails here. The history is one
labelled branch per module (docs/decisions/0003-migration-branches.md): any allowed subset of modules
migrates to exactly its modules' tables (on a fresh database of the same kind)."""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, inspect
from typer.testing import CliRunner

from pingan.cli import app
from pingan.core.db import alembic_config, branch_heads, create_db_engine, migrations_dir, upgrade
from pingan.core.errors import ValidationFailed
from pingan.registry import Base  # every module's tables
from tests.conftest import _postgres_database

# What the migrations add on purpose beyond the models: PostgreSQL's BRIN index over the GPS stream.
_ONLY_IN_MIGRATIONS = {"ix_patrol_positions_fixed_ms"}

# Each migration branch and the packages whose models its tables are.
BRANCH_PACKAGES = {
    "spine": ("accounts", "areas", "audit", "units"),
    "cameras": ("cameras",),
    "cases": ("cases",),
    "devices": ("devices",),
    "grids": ("grids",),
    "inspections": ("inspections",),
    "patrols": ("patrols",),
    "rivers": ("rivers",),
}
# The revisions every branch shares (before the branches forked); they belong to the spine's files.
TRUNK = {"0001_foundation", "0002_audit"}
# Every revision id deployed databases may hold in alembic_version: they must never be renamed or removed.
DEPLOYED = {
    *TRUNK,
    *("0003_security", "0013_roads"),
    *("0004_cases", "0005_case_calendar", "0006_case_dedupe_index", "0007_case_events_public_at"),
    *("0008_cases_fewer_indexes", "0009_case_history_without_fks", "0010_cases_rollup_indexes"),
    *("0010_grids", "0011_grid_history_sealed", "0012_grid_party_branches"),
    *("0005_patrols", "0006_patrol_device_keys", "0007_patrols_instruction"),
    "devices_0001",
    "inspections_0001",
    "inspections_0002",
}

runner = CliRunner()


def tables_of(branches: Iterable[str]) -> set[str]:
    """The tables the models of these branches' packages declare (mapped classes and Core tables)."""
    packages = {p for b in branches for p in BRANCH_PACKAGES[b]}
    mappers = Base.registry.mappers
    tables = {m.local_table.name for m in mappers if m.class_.__module__.split(".")[1] in packages}
    for package in packages:
        module = importlib.import_module(f"pingan.{package}.models")
        tables |= {t.name for t in vars(module).values() if isinstance(t, Table)}
    return tables


def schema_diffs(engine: Engine, tables: set[str] | None = None) -> list[Any]:
    """Alembic's differences between the database and the models (of ``tables`` only, if given)."""

    def wanted(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return tables is None or type_ != "table" or name in tables

    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": wanted}
        diffs = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    return [
        d
        for d in diffs
        if not (isinstance(d, tuple) and d[0] == "remove_index" and d[1].name in _ONLY_IN_MIGRATIONS)
    ]


def database_tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a PostgreSQL database when PINGAN_TEST_DATABASE_URL is set."""
    base = os.environ.get("PINGAN_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url, drop = _postgres_database(base, "fresh_")
    try:
        yield url
    finally:
        drop()


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert schema_diffs(engine) == []


def test_every_table_belongs_to_one_branch() -> None:
    owned = [tables_of([b]) for b in BRANCH_PACKAGES]
    assert set().union(*owned) == set(Base.metadata.tables)
    assert sum(len(t) for t in owned) == len(Base.metadata.tables)


class TestBranches:
    def test_every_branch_has_a_label_and_one_head(self) -> None:
        heads = branch_heads()
        assert list(heads) == list(BRANCH_PACKAGES)  # the spine first; no unlabelled head
        assert all(len(revisions) == 1 for revisions in heads.values()), heads

    def test_every_revision_is_on_one_branch_and_its_files_sort_in_order(self) -> None:
        script = ScriptDirectory.from_config(alembic_config(""))
        files: dict[str, list[tuple[str, Any]]] = {}
        for revision in script.walk_revisions():
            labels = set(revision.branch_labels)
            assert len(labels) == (0 if revision.revision in TRUNK else 1), revision.revision
            assert len(revision.revision) <= 32  # alembic_version.version_num is VARCHAR(32)
            branch = labels.pop() if labels else "spine"
            name = Path(revision.path).name
            assert name.startswith(f"{branch}_"), name
            files.setdefault(branch, []).append((name, revision))
        for branch, revisions in files.items():
            ordered = [r for _, r in sorted(revisions, key=lambda item: item[0])]
            for before, after in zip(ordered, ordered[1:], strict=False):
                assert after.down_revision == before.revision, (branch, after.revision)

    def test_the_revision_ids_deployed_databases_hold_are_kept(self) -> None:
        script = ScriptDirectory.from_config(alembic_config(""))
        assert DEPLOYED <= {r.revision for r in script.walk_revisions()}

    def test_every_module_branch_depends_on_the_spine(self) -> None:
        script = ScriptDirectory.from_config(alembic_config(""))
        for branch in BRANCH_PACKAGES:
            lineage = {r.revision for r in script.revision_map.iterate_revisions(f"{branch}@head", "base")}
            assert {"0001_foundation", "0002_audit", "0003_security"} <= lineage, branch


class TestUpgradeSubsets:
    @pytest.mark.parametrize(
        "modules",
        [
            ["spine"],
            ["cases"],
            ["devices"],
            ["cases", "grids"],
            ["cases", "devices", "grids", "patrols", "cameras", "inspections", "rivers"],
            None,
        ],
        ids=["spine", "spine+cases", "spine+devices", "spine+cases+grids", "every-branch-named", "all"],
    )
    def test_a_fresh_database_gets_exactly_those_modules_tables(
        self, fresh_url: str, modules: list[str] | None
    ) -> None:
        url = fresh_url
        upgrade(url, modules)
        branches = ["spine", *(modules if modules is not None else BRANCH_PACKAGES)]
        if modules == ["devices"]:
            branches.append("cases")  # the devices branch depends on cases (outage cases)
        expected = tables_of(branches)
        assert database_tables(url) == expected
        engine = create_db_engine(url)
        try:
            assert schema_diffs(engine, expected) == []
        finally:
            engine.dispose()

    def test_a_module_added_later_and_removed_again(self, fresh_url: str) -> None:
        url = fresh_url
        upgrade(url, ["cases"])
        upgrade(url, ["grids"])
        assert database_tables(url) == tables_of(["spine", "cases", "grids"])
        upgrade(url)
        assert database_tables(url) == tables_of(BRANCH_PACKAGES)
        command.downgrade(alembic_config(url), "grids@-3")  # the grids branch's three revisions
        assert database_tables(url) == tables_of(["spine", "cases", "devices", "patrols", "rivers"])
        command.downgrade(alembic_config(url), "base")
        assert database_tables(url) == set()

    def test_an_unknown_branch_is_named_and_nothing_runs(self, fresh_url: str) -> None:
        known = "known: spine, cameras, cases, devices, grids, inspections, patrols, rivers"
        with pytest.raises(ValidationFailed, match=f"'kitchens'.*{known}"):
            upgrade(fresh_url, ["cases", "kitchens"])
        assert database_tables(fresh_url) == set()


class TestCli:
    def test_db_heads_lists_each_branch_and_its_head(self) -> None:
        result = runner.invoke(app, ["db", "heads"])
        assert result.exit_code == 0, result.output
        rows = [line.split() for line in result.output.splitlines()]
        assert rows == [[label, heads[0]] for label, heads in branch_heads().items()]

    def test_db_upgrade_of_some_modules(self, fresh_url: str) -> None:
        url = fresh_url
        result = runner.invoke(app, ["db", "upgrade", "--db", url, "--module", "grids"])
        assert result.exit_code == 0, result.output
        assert database_tables(url) == tables_of(
            ["spine", "cases", "devices", "grids"]
        )  # the spine modules too
        unknown = runner.invoke(app, ["db", "upgrade", "--db", url, "--module", "kitchens"])
        assert unknown.exit_code == 2 and "unknown migration branch 'kitchens'" in unknown.output

    def test_db_revision_on_a_module_branch_and_a_new_module(self, tmp_path: Path) -> None:
        folder = tmp_path / "migrations"
        shutil.copytree(migrations_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
        before = branch_heads(folder)
        args = ["db", "revision", "--migrations", str(folder)]
        made = runner.invoke(app, [*args, "--module", "grids", "-m", "x"])
        assert made.exit_code == 0, made.output
        assert (folder / "versions" / "grids_0004_x.py").exists()
        script = ScriptDirectory.from_config(alembic_config("", folder))
        grids = script.get_revision("grids_0004")
        assert grids is not None and grids.down_revision == before["grids"][0]
        assert branch_heads(folder) == {**before, "grids": ["grids_0004"]}

        first = runner.invoke(
            app, [*args, "--module", "kitchens", "--new-module", "--depends-on", "cases", "-m", "kitchens"]
        )
        assert first.exit_code == 0, first.output
        script = ScriptDirectory.from_config(alembic_config("", folder))
        kitchens = script.get_revision("kitchens_0001")
        assert kitchens is not None and kitchens.down_revision is None
        assert kitchens.branch_labels == {"kitchens"}
        assert set(kitchens.dependencies or ()) == {before["spine"][0], before["cases"][0]}
        assert (folder / "versions" / "kitchens_0001_kitchens.py").exists()
        url = f"sqlite:///{tmp_path / 'kitchens.db'}"
        command.upgrade(alembic_config(url, folder), "kitchens@head")  # brings the spine and cases
        assert database_tables(url) == tables_of(["spine", "cases"])

        again = runner.invoke(app, [*args, "--module", "kitchens", "--new-module", "-m", "again"])
        assert again.exit_code == 2 and "already has a migration branch" in again.output
        unknown = runner.invoke(app, [*args, "--module", "nope", "-m", "x"])
        assert unknown.exit_code == 2 and "unknown migration branch 'nope'" in unknown.output
        assert not list(migrations_dir().glob("versions/*_x.py"))  # nothing written into the checkout

    def test_db_revision_autogenerate_of_an_up_to_date_database_is_empty(self, tmp_path: Path) -> None:
        folder = tmp_path / "migrations"
        shutil.copytree(migrations_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
        url = f"sqlite:///{tmp_path / 'auto.db'}"  # (on PostgreSQL the BRIN index the models lack would show)
        upgrade(url)
        args = ["db", "revision", "--migrations", str(folder), "--db", url, "--autogenerate"]
        made = runner.invoke(app, [*args, "--module", "patrols", "-m", "nothing new"])
        assert made.exit_code == 0, made.output
        text = (folder / "versions" / "patrols_0004_nothing_new.py").read_text()
        assert "down_revision: str | Sequence[str] | None = '0007_patrols_instruction'" in text
        body = text.split("def upgrade() -> None:")[1]
        assert "op." not in body and "pass" in body  # the models match the database: nothing to migrate

        empty = f"sqlite:///{tmp_path / 'empty.db'}"
        outdated = ["db", "revision", "--migrations", str(folder), "--db", empty, "--autogenerate"]
        refused = runner.invoke(app, [*outdated, "--module", "grids", "-m", "y"])
        assert refused.exit_code == 2 and "Target database is not up to date" in refused.output
        assert not list(folder.glob("versions/grids_0004*"))
