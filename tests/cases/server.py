"""A real `pingan serve` process on 127.0.0.1 over a copy of a demo SQLite database (for client tests)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from pingan.core.db import create_db_engine, make_session_factory, transaction, upgrade


def build_demo_db(path: Path) -> str:
    """A migrated SQLite file holding the demo district (cases included)."""
    from pingan.demo.generate import generate_demo

    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_db_engine(url)
    with transaction(make_session_factory(engine)) as session:
        generate_demo(session, seed=2016)
    engine.dispose()
    return url


def copy_db(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PINGAN_DEMO_MODE": "true",
            "PINGAN_SECRET_KEY": "test-secret-test-secret-test-secret",
            "PINGAN_LOCATOR_REFRESH_SECONDS": "5",
            "PINGAN_CASES_INTAKE_PROCESS": "true",  # the default, off for the in-process apps of the tests
        }
    )
    env.update(extra or {})
    return env


@contextmanager
def serving(
    url: str, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start `pingan serve` on a free port; yields (base URL, process); stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "pingan"),
            "serve",
            "--db",
            url,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=server_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc)
        yield base, proc
    finally:
        stop(proc)


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {err[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
