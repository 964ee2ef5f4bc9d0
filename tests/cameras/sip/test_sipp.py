"""A third-party SIP client against the endpoint: SIPp plays a camera (when /usr/bin/sipp is installed)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.cameras.sip.conftest import Running, wait_for
from tests.cameras.sip.device import CAMERA, SERVER_ID

SIPP = shutil.which("sipp")
SCENARIO = Path(__file__).with_name("sipp_device.xml")


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(SIPP is None, reason="sipp (Debian package sip-tester) is not installed")
@pytest.mark.parametrize(("transport", "qop"), [("u1", False), ("t1", False), ("u1", True)])
def test_sipp_camera_registers_and_keeps_alive(
    sip: Running, transport: str, qop: bool, tmp_path: Path
) -> None:
    assert SIPP is not None
    sip.server.config.query_catalog = False  # the scenario does not expect a query
    sip.server.config.qop = qop
    tcp = transport == "t1"
    port = sip.server.tcp_port if tcp else sip.server.udp_port
    local = _free_port(socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    command = [SIPP, f"127.0.0.1:{port}", "-sf", str(SCENARIO), "-s", SERVER_ID, "-t", transport]
    command += ["-i", "127.0.0.1", "-p", str(local), "-m", "1", "-timeout", "15s", "-timeout_error"]
    command += ["-nostdin", "-trace_err", "-error_file", str(tmp_path / "sipp.err")]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    errors = (tmp_path / "sipp.err").read_text() if (tmp_path / "sipp.err").exists() else ""
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:] + errors[-2000:]
    assert sip.server.handled["register"] == 1 and sip.server.handled["keepalive"] == 1
    assert sum(sip.server.refused.values()) == 0, sip.server.refused
    wait_for(lambda: CAMERA in sip.directory.last_heard)
