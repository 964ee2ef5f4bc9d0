"""Browser tests: a real `pingan serve` on 127.0.0.1 with a fresh demo database, driven by Chromium.

Without /usr/bin/chromium the tests skip with the reason; with PINGAN_REQUIRE_BROWSER=1 (CI) they fail.
PINGAN_E2E_DB_URL reuses an existing demo database instead of generating one (faster local runs).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"{CHROMIUM} is missing: install Debian's chromium and fonts-wqy-zenhei to run the browser tests"
    if os.environ.get("PINGAN_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (PINGAN_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    _require_browser()
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # axe-core is injected by the tests; the app's CSP (rightly) refuses inline scripts.
    return {**browser_context_args, "bypass_csp": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pingan(*args: str, env: dict[str, str]) -> list[str]:
    exe = Path(sys.executable).with_name("pingan")
    return [str(exe) if exe.exists() else "pingan", *args]


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served demo district: `pingan demo-data` into a temp SQLite file, then `pingan serve`."""
    _require_browser()
    data = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "PINGAN_DEMO_MODE": "true",
        "PINGAN_DATA_DIR": str(data),
        "PINGAN_CASES_INTAKE_PROCESS": "true",  # the default, off for the in-process apps of the tests
        "PINGAN_SECRET_KEY": "e2e-secret-key-e2e-secret-key-e2e",
        # The browser tests sign in dozens of times a minute from 127.0.0.1 (the sign-in limit is tested in
        # tests/web/test_sign_in.py).
        "PINGAN_RATE_LIMITS": '{"public": 30, "login": 1000}',
    }
    env.pop("PINGAN_DATABASE_URL", None)
    reuse = os.environ.get("PINGAN_E2E_DB_URL")
    if reuse:
        source = Path(reuse.removeprefix("sqlite:///"))
        shutil.copy(source, data / "e2e.db")
    db = f"sqlite:///{data / 'e2e.db'}"
    if not reuse:
        made = subprocess.run(
            _pingan("demo-data", "--db", db, env=env),
            env=env,
            cwd=ROOT,
            timeout=600,
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            raise RuntimeError("pingan demo-data failed:\n" + (made.stdout + made.stderr)[-3000:])
    port = _free_port()
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        _pingan("serve", "--db", db, "--host", "127.0.0.1", "--port", str(port), env=env),
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded machine (CI, shared cores) starts slowly
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n" + (data / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
