"""Apps built with a chosen set of modules, and the example module installed through its entry point."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pingan.core.config import Settings
from pingan.core.db import Base
from pingan.web.app import create_app

EXAMPLE_ENTRY_POINTS = "[pingan.modules]\nstreetlights = tests.modules.streetlights.module:MODULE\n"

BuildApp = Callable[[str], FastAPI]


@pytest.fixture
def build_app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session]) -> BuildApp:
    """``build_app("grids")``: an app running the spine and the given modules (PINGAN_MODULES), over the test
    database (which has every table) and this test's transaction."""

    def build(modules: str) -> FastAPI:
        app = create_app(settings.model_copy(update={"modules": modules}), engine=engine)
        app.state.session_factory = session_factory
        return app

    return build


@pytest.fixture(scope="module")
def streetlights_installed(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Iterator[Path]:
    """The example module installed as a district would install its own package: a distribution whose
    metadata registers it under the ``pingan.modules`` entry point group (here a ``.dist-info`` folder put
    on ``sys.path``, which ``importlib.metadata`` reads like an installed package's). Its table is created
    on its own (and dropped afterwards, leaving the shared metadata as it was)."""
    site = tmp_path_factory.mktemp("site-packages")
    dist = site / "pingan_streetlights-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pingan-streetlights\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(EXAMPLE_ENTRY_POINTS)
    sys.path.append(str(site))
    importlib.invalidate_caches()
    from tests.modules.streetlights.models import StreetLight

    table = StreetLight.__table__
    table.create(engine, checkfirst=True)  # type: ignore[attr-defined]
    try:
        yield site
    finally:
        table.drop(engine)  # type: ignore[attr-defined]
        Base.metadata.remove(table)  # type: ignore[arg-type]
        sys.path.remove(str(site))
        importlib.invalidate_caches()
