import json
from pathlib import Path

from typer.testing import CliRunner

from pingan.cli import app

runner = CliRunner()


class TestCli:
    def test_demo_data_locate_and_areas(self, tmp_path: Path) -> None:
        db = f"sqlite:///{tmp_path / 'cli.db'}"
        result = runner.invoke(app, ["demo-data", "--db", db, "--seed", "3"])
        assert result.exit_code == 0, result.output
        assert "admin" in result.output
        located = runner.invoke(app, ["locate", "120.21", "30.208", "--db", db])
        assert located.exit_code == 0 and "滨江区" in located.output
        out = tmp_path / "areas.geojson"
        assert runner.invoke(app, ["areas", "export", str(out), "--db", db]).exit_code == 0
        doc = json.loads(out.read_text())
        assert len(doc["features"]) == 303
        grids = [f for f in doc["features"] if f["properties"]["level"] == "grid"]
        grids[-1]["properties"]["code"] = grids[-2]["properties"]["code"]
        last = doc["features"].index(grids[-1])
        bad = tmp_path / "bad.geojson"
        bad.write_text(json.dumps(doc))
        failed = runner.invoke(app, ["areas", "import", str(bad), "--db", db])
        assert failed.exit_code == 2
        assert "duplicate code" in failed.output and f"feature {last}" in failed.output

    def test_help_everywhere(self) -> None:
        for args in (
            ["--help"],
            ["demo", "--help"],
            ["serve", "--help"],
            ["db", "upgrade", "--help"],
            ["areas", "import", "--help"],
            ["areas", "export", "--help"],
            ["locate", "--help"],
            ["demo-data", "--help"],
        ):
            assert runner.invoke(app, args).exit_code == 0, args
