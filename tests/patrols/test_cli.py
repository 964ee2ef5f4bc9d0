"""``pingan patrols …`` against the test database (commands that write nothing, or refuse)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine
from typer.testing import CliRunner

from pingan.cli import app
from pingan.core.config import Settings

runner = CliRunner()


class TestRosterTemplate:
    def test_writes_the_workbook(self, tmp_path: Path) -> None:
        out = tmp_path / "template.xlsx"
        result = runner.invoke(app, ["patrols", "roster-template", str(out)])
        assert result.exit_code == 0, result.output
        sheet = load_workbook(io.BytesIO(out.read_bytes())).active
        assert sheet is not None and sheet["A1"].value == "姓名"


class TestImportRoster:
    def test_bad_rows_are_listed_and_nothing_is_written(
        self, tmp_path: Path, settings: Settings, engine: Engine
    ) -> None:
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "姓名,身份证号,手机号,社区\n张三,110105194912310021,13800001111,月明社区\n", encoding="utf-8"
        )
        errors = tmp_path / "errors.csv"
        result = runner.invoke(
            app,
            [
                "patrols",
                "import-roster",
                str(roster),
                "--errors-out",
                str(errors),
                "--db",
                settings.resolved_database_url(),
            ],
        )
        assert result.exit_code == 2
        assert "row 2" in result.output and "id_number" in result.output
        assert errors.read_text(encoding="utf-8").startswith("row,field,message")


class TestCoverage:
    def test_json_report(self, settings: Settings, engine: Engine) -> None:
        result = runner.invoke(
            app, ["patrols", "coverage", "--hours", "2", "--json", "--db", settings.resolved_database_url()]
        )
        assert result.exit_code == 0, result.output
        start = result.output.index("{")
        report = json.loads(result.output[start:])
        assert len(report["grids"]) == 239 and report["positions"] > 0


class TestOnDuty:
    def test_prints_the_count(self, settings: Settings, engine: Engine) -> None:
        result = runner.invoke(app, ["patrols", "on-duty", "--db", settings.resolved_database_url()])
        assert result.exit_code == 0, result.output
        assert "on duty now" in result.output
