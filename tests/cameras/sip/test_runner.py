"""serve() until cancelled, and the CLI's run() in a process of its own, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

from pingan.cameras.sip import MemoryDirectory, SipServer, serve
from tests.aio import run as run_async
from tests.cameras.sip.device import CAMERA, Device

ROOT = Path(__file__).resolve().parents[3]
CHILD = """
import json, sys
from pingan.cameras.sip import MemoryDirectory, run
directory = MemoryDirectory(passwords={sys.argv[1]: "12345678"})
counters = run(directory, udp_port=0, tcp_port=0, started=lambda s: print(s.udp_port, s.tcp_port, flush=True))
print(json.dumps(dict(counters)), sorted(directory.last_heard), flush=True)
"""


def test_serve_runs_until_cancelled_and_hands_over_what_it_heard() -> None:
    directory = MemoryDirectory(passwords={CAMERA: "12345678"})

    async def scenario() -> None:
        running: list[SipServer] = []
        task = asyncio.create_task(
            serve(directory, udp_port=0, tcp_port=0, flush_ms=60_000, started=running.append)
        )
        while not running:
            await asyncio.sleep(0.01)
        server = running[0]
        assert server.config.realm == "3402000000"
        device = Device(CAMERA, "12345678", server.udp_port)
        assert (await asyncio.to_thread(device.register)).status == 200
        assert not directory.last_heard  # the next flush is a minute away
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    run_async(scenario())
    assert list(directory.last_heard) == [CAMERA]  # flushed on the way out


def test_cli_runner_stops_on_sigterm_with_its_counters() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, CAMERA],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        udp_port, tcp_port = map(int, child.stdout.readline().split())
        device = Device(CAMERA, "12345678", tcp_port, transport="TCP")
        assert device.register().status == 200
        device.close()
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    counters_json, _, heard = out.strip().rpartition("} ")
    counters = json.loads(counters_json + "}")
    assert counters["handled.register"] == 1 and counters["registered"] == 1
    assert heard == f"['{CAMERA}']"
    assert udp_port > 0


def test_the_endpoint_imports_no_web_framework_and_no_other_module() -> None:
    code = (
        "import sys, pingan.cameras.sip; "
        "print(' '.join(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'sqlalchemy') "
        "or (m.startswith('pingan.') and not m.startswith(('pingan.cameras', 'pingan.core')))))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
