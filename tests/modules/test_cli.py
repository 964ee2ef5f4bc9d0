"""The command line reads PINGAN_MODULES too: its command groups, `pingan modules`, and the start-up error."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from pingan.cli import app

runner = CliRunner()


class TestModulesCommand:
    def test_lists_the_enabled_modules_with_what_they_add(self) -> None:
        result = runner.invoke(app, ["modules"])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert [line.split()[0] for line in lines] == [
            "areas", "audit", "units", "accounts", "cases", "devices",
            "grids", "cameras", "inspections", "patrols", "rivers",
        ]  # fmt: skip
        assert "cases (spine) 事件 Cases needs areas, units, accounts, audit" in lines[4]
        assert "job cases.refresh_sla every 60 s" in lines[4]
        assert "devices (spine) 设备 Devices needs cases · commands devices · job devices.sweep" in lines[5]
        assert lines[7].startswith("cameras 视频监控 Cameras needs cases, devices, grids · commands cameras")
        assert lines[8].startswith(
            "inspections 隐患排查 Inspections needs cases, grids · commands inspections"
        )
        assert lines[9].startswith("patrols 巡防 Patrols needs cases · commands patrols")
        assert lines[10].startswith("rivers 河道水质 Rivers needs cases, devices · commands rivers")

    def test_every_enabled_module_adds_its_command_groups(self) -> None:
        result = runner.invoke(app, ["--help"], terminal_width=200)
        assert result.exit_code == 0
        for group in (
            "user",
            "keys",
            "audit",
            "retention",
            "cases",
            "grids",
            "patrols",
            "inspections",
            "rivers",
        ):
            assert f" {group} " in result.output


def _pingan(*args: str, modules: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PINGAN_MODULES": modules}
    code = "import sys\nfrom pingan.cli import main\nsys.argv = ['pingan', *sys.argv[1:]]\nmain()"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)


class TestSubsets:
    def test_a_subset_has_only_its_modules_commands(self) -> None:
        shown = _pingan("--help", modules="grids")
        assert shown.returncode == 0, shown.stderr
        assert " grids " in shown.stdout and " patrols " not in shown.stdout and " cases " in shown.stdout

    def test_an_unknown_module_stops_the_command_with_a_clear_error(self) -> None:
        failed = _pingan("--help", modules="grids,sewers")
        assert failed.returncode == 2
        assert "PINGAN_MODULES: unknown module sewers" in failed.stderr
