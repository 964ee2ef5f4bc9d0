"""Settings flow from ``create_app(settings)`` to the services: two apps in one process, each by its own."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from pingan.core.config import Settings, settings_of
from pingan.web.app import create_app
from tests.cases.conftest import JPEG
from tests.cases.helpers import report_with_photo
from tests.factories import auth


def _app(settings: Settings, engine: Engine, connection: Connection, media: Path) -> FastAPI:
    """An app with its own media folder whose sessions (made by create_app's factory) join the test's
    transaction, so that nothing it writes outlives the test."""
    app = create_app(settings.model_copy(update={"media_dir": media}), engine=engine)
    app.state.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    return app


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


class TestTwoApps:
    def test_each_stores_attachments_in_its_own_media_folder(
        self, settings: Settings, engine: Engine, connection: Connection, session: Session, tmp_path: Path
    ) -> None:
        first = _app(settings, engine, connection, tmp_path / "first")
        second = _app(settings, engine, connection, tmp_path / "second")
        with TestClient(first) as a, TestClient(second) as b:
            one = report_with_photo(a, session, JPEG)
            two = report_with_photo(b, session, JPEG)
            assert one.status_code == two.status_code == 201, (one.text, two.text)
            [in_first] = _files(tmp_path / "first")
            [in_second] = _files(tmp_path / "second")
            assert in_first.read_bytes() == in_second.read_bytes() == JPEG
            assert in_first.relative_to(tmp_path / "first") != in_second.relative_to(tmp_path / "second")

            # each app reads its own store: the first app's photo is not in the second's
            staff = auth(session, "admin")
            case = a.get(f"/api/v1/cases/{one.json()['id']}", headers=staff).json()
            url = f"/api/v1/cases/attachments/{case['attachments'][0]['id']}"
            assert a.get(url, headers=staff).content == JPEG
            assert b.get(url, headers=staff).status_code == 404

    def test_sessions_of_an_app_carry_its_settings(
        self, settings: Settings, engine: Engine, tmp_path: Path
    ) -> None:
        first = create_app(settings.model_copy(update={"locator_refresh_seconds": 1.5}), engine=engine)
        second = create_app(settings.model_copy(update={"locator_refresh_seconds": 7.0}), engine=engine)
        with first.state.session_factory() as one, second.state.session_factory() as two:
            assert settings_of(one).locator_refresh_seconds == 1.5
            assert settings_of(two).locator_refresh_seconds == 7.0
