"""``pingan grids``: template, a rejected import (nothing written, error file), export, coverage."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from pingan.cli import app
from pingan.core.config import Settings

runner = CliRunner()


class TestGridsCli:
    def test_template_import_export_coverage(
        self, engine: Engine, settings: Settings, tmp_path: Path
    ) -> None:
        db = settings.resolved_database_url()
        template = tmp_path / "t.xlsx"
        assert runner.invoke(app, ["grids", "template", str(template)]).exit_code == 0
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "地址,经度,纬度,房号,姓名,身份证号\n某路1号,120.18,30.15,101,张三,123456\n", encoding="utf-8"
        )
        result = runner.invoke(app, ["grids", "import", str(bad), "--db", db])
        assert result.exit_code == 2
        assert "row 2: id_number" in result.output
        errors = load_workbook(tmp_path / "bad.errors.xlsx").active
        assert errors is not None and list(errors.iter_rows(values_only=True))[1][0] == 2
        out = tmp_path / "schools.csv"
        exported = runner.invoke(
            app, ["grids", "export", str(out), "--kind", "places", "--type", "school", "--db", db]
        )
        assert exported.exit_code == 0 and "exported 46 rows" in exported.output
        coverage = runner.invoke(
            app, ["grids", "coverage", "--by", "cadre", "--area", "330108002", "--db", db]
        )
        assert coverage.exit_code == 0 and "grids missing staff: 0" in coverage.output

    def test_party_branch_create_assign_and_list(self, engine: Engine, settings: Settings) -> None:
        db = settings.resolved_database_url()
        made = runner.invoke(
            app, ["grids", "party", "create", "命令行党支部", "--community", "330108002001", "--db", db]
        )
        assert made.exit_code == 0, made.output
        branch_id = made.output.split("party branch ")[1].split(" ")[0]
        wrong = runner.invoke(
            app, ["grids", "party", "grids", branch_id, "--grid", "330108001001", "--db", db]
        )
        assert wrong.exit_code == 2 and "grid_codes" in wrong.output
        added = runner.invoke(
            app,
            [
                "grids",
                "party",
                "add-member",
                branch_id,
                "--account",
                "volunteer",
                "--role",
                "committee",
                "--db",
                db,
            ],
        )
        assert added.exit_code == 0, added.output
        listed = runner.invoke(app, ["grids", "party", "list", "--area", "330108002001", "--db", db])
        assert listed.exit_code == 0 and f"│ {branch_id} " in listed.output
