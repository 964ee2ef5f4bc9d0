"""Optional end to end: the nginx configuration in deploy/ really in front of `pingan serve
--forwarded-allow-ips 127.0.0.1`, TLS with a throw-away certificate. Skips without /usr/sbin/nginx (CI does
not depend on it; tests/web/test_proxy_and_logs.py drives the app with the same headers in process)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
NGINX_BIN = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not Path(NGINX_BIN).exists(), reason="nginx is not installed (optional test)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pingan.example.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180  # a loaded machine starts slowly
    while True:
        try:
            if httpx.get(url, timeout=1, verify=False).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`pingan serve` behind nginx running the repository's configuration; yields the https URL."""
    db = f"sqlite:///{tmp_path / 'tls.db'}"
    env = {**os.environ, "PINGAN_DEMO_MODE": "true", "PINGAN_DATA_DIR": str(tmp_path)}
    env.pop("PINGAN_DATABASE_URL", None)
    pingan = str(Path(sys.executable).with_name("pingan"))
    subprocess.run([pingan, "db", "upgrade", "--db", db], env=env, check=True, capture_output=True, cwd=ROOT)
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    app_log = tmp_path / "app.log"
    app = subprocess.Popen(
        [pingan, "serve", "--db", db, "--port", str(app_port), "--forwarded-allow-ips", "127.0.0.1"],
        env=env,
        stdout=app_log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    cert, key = self_signed(tmp_path)
    server = (
        (ROOT / "deploy" / "nginx-pingan.conf")
        .read_text()
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("/etc/ssl/pingan/fullchain.pem", str(cert))
        .replace("/etc/ssl/pingan/privkey.pem", str(key))
        .replace("/var/log/nginx/pingan.access.log", str(tmp_path / "nginx.access.log"))
        .replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/nginx.error.log;\n"
        "events {}\nhttp {\n"
        f"  client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"  fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi;\n"
        f"  scgi_temp_path {tmp_path}/scgi;\n"
        f"{server}\n}}\n"
    )
    nginx_log = tmp_path / "nginx.out"
    nginx = subprocess.Popen(
        [NGINX_BIN, "-p", str(tmp_path), "-c", str(conf)],
        stdout=nginx_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{app_port}/healthz", app, app_log)
        wait_for(f"https://127.0.0.1:{https_port}/healthz", nginx, nginx_log)
        yield f"https://127.0.0.1:{https_port}"
    finally:
        for proc in (nginx, app):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_through_nginx_cookies_are_secure_and_hsts_is_sent(served: str) -> None:
    r = httpx.get(served + "/login", verify=False, timeout=60)
    assert r.status_code == 200
    assert r.headers["strict-transport-security"].startswith("max-age=")
    csrf = next(c for c in r.headers.get_list("set-cookie") if c.startswith("pingan_csrf="))
    assert "secure" in csrf.lower()
