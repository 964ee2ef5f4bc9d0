"""The synthetic province: nesting, tiling, codes, and bulk generation into a fresh database."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
import shapely
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from pingan.accounts import service as accounts
from pingan.areas import codes
from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.core.db import create_db_engine, transaction, upgrade
from pingan.demo.district import AreaSpec, build_district
from pingan.demo.generate import DEMO_PASSWORD
from pingan.demo.province import CITIES, PROVINCE_OUTLINE, build_province, generate_province
from tests.conftest import _postgres_database

SMALL = 1500


@pytest.fixture(scope="module")
def specs() -> list[AreaSpec]:
    return build_province(2016, grids=SMALL)


def by_level(specs: list[AreaSpec], level: str) -> list[AreaSpec]:
    return [s for s in specs if s.level == level]


class TestBuildProvince:
    def test_levels_and_sizes(self, specs: list[AreaSpec]) -> None:
        counts = Counter(s.level for s in specs)
        assert counts["province"] == 1 and counts["city"] == len(CITIES) == 11
        assert SMALL * 0.9 + 239 < counts["grid"] < SMALL * 1.1 + 239
        assert counts["district"] >= 11 and counts["street"] > counts["district"]
        assert counts["grid"] > counts["community"] > counts["street"]
        assert len({s.code for s in specs}) == len(specs)

    def test_codes_follow_the_code_rules_and_nest(self, specs: list[AreaSpec]) -> None:
        known = {s.code: s for s in specs}
        for spec in specs:
            level = AreaLevel(spec.level)
            assert codes.code_matches_level(spec.code, level), spec.code
            if spec.parent_code is None:
                assert level is AreaLevel.PROVINCE
                continue
            parent = known[spec.parent_code]
            assert codes.parent_level(level) is AreaLevel(parent.level)
            assert codes.code_fits_parent(spec.code, parent.code)

    def test_children_tile_their_parent_without_overlap(self, specs: list[AreaSpec]) -> None:
        children: dict[str, list[AreaSpec]] = {}
        for spec in specs:
            if spec.parent_code:
                children.setdefault(spec.parent_code, []).append(spec)
        for spec in specs:
            kids = children.get(spec.code)
            if not kids:
                assert spec.level == "grid"
                continue
            geoms = np.asarray([k.geom for k in kids], dtype=object)
            union = shapely.union_all(geoms)
            # planar areas in square degrees: 5e-9 deg² is about 50 m² here
            assert abs(shapely.area(geoms).sum() - union.area) < 5e-9, spec.code  # no overlaps
            assert union.symmetric_difference(spec.geom).area < 5e-9, spec.code  # no gaps

    def test_province_covers_the_outline_and_holds_binjiang(self, specs: list[AreaSpec]) -> None:
        province = by_level(specs, "province")[0]
        assert areas.approx_area_m2(province.geom.symmetric_difference(PROVINCE_OUTLINE)) < 1000
        binjiang = [s for s in specs if s.code.startswith("330108")]
        district = build_district(2016)
        assert sorted((s.code, s.name, s.geom.wkb) for s in binjiang) == sorted(
            (s.code, s.name, s.geom.wkb) for s in district
        )
        assert next(s for s in specs if s.code == "330108").parent_code == "330100"
        assert all(s.geom.is_valid and s.geom.geom_type in ("Polygon", "MultiPolygon") for s in specs)

    def test_households_roll_up(self, specs: list[AreaSpec]) -> None:
        province = by_level(specs, "province")[0]
        assert province.households == sum(s.households for s in by_level(specs, "grid")) > 0

    def test_deterministic(self) -> None:
        a = [(s.code, s.name, s.geom.wkb) for s in build_province(5, grids=300)]
        b = [(s.code, s.name, s.geom.wkb) for s in build_province(5, grids=300)]
        assert a == b


@pytest.fixture
def fresh_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    base = os.environ.get("PINGAN_TEST_DATABASE_URL")
    drop = None
    if base:
        url, drop = _postgres_database(base, label="province_")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('province') / 'p.db'}"
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()
    if drop is not None:
        drop()


class TestGenerateProvince:
    def test_bulk_generation_into_an_empty_database(self, fresh_engine: Engine) -> None:
        steps: list[tuple[str, float]] = []
        factory = sessionmaker(bind=fresh_engine, expire_on_commit=False)
        with transaction(factory) as session:
            logins = generate_province(
                session, seed=2016, grids=600, step=lambda label, share: steps.append((label, share))
            )
        assert {x.username for x in logins} >= {"admin", "street", "gridworker", "handler"}
        assert steps[0][1] == 0.0 and steps[-1] == ("done", 1.0)
        assert [share for _, share in steps] == sorted(share for _, share in steps)
        with transaction(factory) as session:
            counts = areas.level_counts(session)
            assert counts["province"] == 1 and counts["city"] == 11
            assert 600 * 0.9 + 239 < counts["grid"] < 600 * 1.1 + 239
            self.check_located(session)
            assert accounts.authenticate(session, username="admin", password=DEMO_PASSWORD) is not None
            total = session.execute(text("select sum(households) from areas where level = 'grid'")).scalar()
            assert areas.get_area(session, "330000").households == total

    @staticmethod
    def check_located(session: Session) -> None:
        binjiang = areas.locate(session, lon=120.21, lat=30.208)
        assert binjiang is not None and binjiang.district is not None
        assert binjiang.district.code == "330108" and binjiang.grid.code.startswith("330108")
        wenzhou = areas.locate(session, lon=120.6, lat=28.0)
        assert wenzhou is not None and wenzhou.district is not None
        assert wenzhou.district.code.startswith("33")
        assert areas.locate(session, lon=116.4, lat=39.9) is None
