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


class TestStartup:
    """`pingan --help` must not load the heavy libraries (they cost ~4 s): each cli.py imports them inside its
    commands (bench/test_cli.py measures the time)."""

    # pydantic: Typer coerces an absent --help of the parent group with a pydantic adapter (cli.HelpGroup)
    HEAVY = ("sqlalchemy", "numpy", "openpyxl", "pydantic", "fastapi", "cryptography", "shapely")

    def _loaded_after(self, *args: str) -> list[str]:
        import subprocess
        import sys

        code = (
            "import sys\nfrom pingan.cli import app\n"
            "try:\n    app(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print('LOADED=' + ','.join(m for m in {self.HEAVY!r} if m in sys.modules), file=sys.stderr)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        ).stderr
        line = next(x for x in out.splitlines() if x.startswith("LOADED="))
        return [m for m in line.removeprefix("LOADED=").split(",") if m]

    def test_help_imports_nothing_heavy(self) -> None:
        for args in (
            ["--help"],
            ["patrols", "--help"],
            ["grids", "--help"],
            ["user", "--help"],
            ["grids", "party", "--help"],
            ["patrols", "coverage", "--help"],
        ):
            assert self._loaded_after(*args) == [], args

    def test_help_of_every_group_and_command(self) -> None:
        from typer.main import get_command

        group = get_command(app)
        names = list(group.commands)  # type: ignore[attr-defined]
        groups = {"patrols", "grids", "cases", "user", "keys", "audit", "retention", "db", "areas"}
        assert groups <= set(names)
        for name in names:
            assert runner.invoke(app, [name, "--help"]).exit_code == 0, name
            sub = group.commands[name]  # type: ignore[attr-defined]
            for child in getattr(sub, "commands", {}):
                assert runner.invoke(app, [name, child, "--help"]).exit_code == 0, (name, child)

    def test_constants_copied_to_keep_start_up_light_agree(self) -> None:
        from pingan.accounts.cli import ROLE_HELP
        from pingan.cases.cli import KPI_GROUPS
        from pingan.cases.kpis import GROUPS
        from pingan.core.security import Role

        assert ROLE_HELP.split(", ") == [r.value for r in Role]
        assert KPI_GROUPS == GROUPS
