"""The ``pingan user|keys|audit|retention`` commands against their own SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from pingan.areas import service as areas
from pingan.cli import app
from pingan.core.config import get_settings
from pingan.core.db import create_db_engine, make_session_factory, transaction, upgrade
from pingan.demo.district import build_district, feature_collection

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    upgrade(url)
    specs = [s for s in build_district(2016) if s.level in ("district", "street")]
    with transaction(make_session_factory(create_db_engine(url))) as session:
        areas.import_geojson(session, feature_collection(specs), source="test")
    return url


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PINGAN_PII_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("PINGAN_DEMO_MODE", "false")
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


class TestUserCommands:
    def test_create_list_grant_revoke_disable(self, db: str) -> None:
        code, out = run(
            "user",
            "create",
            "chen",
            "--role",
            "street_operator",
            "--area",
            "330108002",
            "--password",
            "violet-harbour-lamp",
            "--phone",
            "13800138000",
            "--db",
            db,
        )
        assert code == 0, out
        code, out = run("user", "grant", "chen", "liaison_cadre", "330108001", "--db", db)
        assert code == 0 and "granted" in out
        code, out = run("user", "list", "--db", db)
        assert "chen" in out and "138****8000" in out and "13800138000" not in out
        code, out = run("user", "revoke", "chen", "liaison_cadre", "--db", db)
        assert code == 0 and "revoked 1" in out
        code, out = run("user", "revoke", "chen", "liaison_cadre", "--db", db)
        assert code == 1
        code, out = run("user", "disable", "chen", "--db", db)
        assert code == 0 and "disabled chen" in out
        code, out = run("audit", "search", "--who", "chen", "--db", db)
        code, out = run("audit", "search", "--action", "role.", "--json", "--db", db)
        assert code == 0 and '"role.revoke"' in out and '"role.grant"' in out

    def test_password_is_prompted_hidden(self, db: str) -> None:
        result = runner.invoke(
            app,
            ["user", "create", "prompted", "--role", "auditor", "--area", "330108", "--db", db],
            input="violet-harbour-lamp\nviolet-harbour-lamp\n",
        )
        assert result.exit_code == 0, result.output
        assert "violet-harbour-lamp" not in result.output

    def test_errors_name_the_field(self, db: str) -> None:
        code, out = run(
            "user",
            "create",
            "bad",
            "--role",
            "emperor",
            "--area",
            "330108",
            "--password",
            "violet-harbour-lamp",
            "--db",
            db,
        )
        assert code == 2 and "role" in out
        code, out = run("user", "grant", "nobody_here", "auditor", "330108", "--db", db)
        assert code == 2 and "nobody_here" in out

    def test_token_is_printed_once(self, db: str) -> None:
        run(
            "user",
            "create",
            "bot",
            "--role",
            "auditor",
            "--area",
            "330108",
            "--password",
            "violet-harbour-lamp",
            "--db",
            db,
        )
        code, out = run("user", "token", "bot", "--name", "nightly", "--db", db)
        assert code == 0 and "pa_" in out
        code, out = run("user", "token", "bot", "--open311", "--name", "partner", "--db", db)
        assert code == 0 and "Open311" in out


class TestKeysNew:
    def test_prints_a_usable_fernet_key(self) -> None:
        code, out = run("keys", "new")
        Fernet(out.strip().encode())
        assert code == 0


class TestRetentionPurge:
    def test_purge_reports_each_kind(self, db: str) -> None:
        code, out = run("retention", "purge", "--kind", "audit", "--kind", "api_tokens", "--db", db)
        assert code == 0, out
        assert "audit: 0 deleted" in out and "api_tokens:" in out


class TestServeRefusal:
    def test_refuses_without_secret_key(self, db: str) -> None:
        code, out = run("serve", "--db", db, "--port", "0")
        assert code == 2 and "PINGAN_SECRET_KEY" in out


class TestPasswordRule:
    def test_user_create_refuses_a_common_password(self, db: str) -> None:
        args = ["user", "create", "weakcli", "--role", "grid_worker", "--area", "330108002", "--db", db]
        code, out = run(*args, "--password", "password")
        assert code == 2 and "password" in out
        code, out = run(*args, "--password", "weakcli1")
        assert code == 2 and "password" in out
        code, _out = run(*args, "--password", "violet-harbour-lamp")
        assert code == 0

    def test_user_password_applies_the_rule(self, db: str) -> None:
        run(
            "user",
            "create",
            "pwchange",
            "--role",
            "grid_worker",
            "--area",
            "330108002",
            "--password",
            "violet-harbour-lamp",
            "--db",
            db,
        )
        code, out = run("user", "password", "pwchange", "--password", "12345678", "--db", db)
        assert code == 2 and "password" in out
        code, out = run("user", "password", "pwchange", "--password", "amber-window-quietly", "--db", db)
        assert code == 0 and "new password" in out
