import json
from typing import Any

import numpy as np
import pytest
from shapely.geometry import box, mapping
from sqlalchemy.orm import Session

from pingan.areas import service
from pingan.areas.types import AreaLevel
from pingan.core.errors import ValidationFailed


def feature(code: str, geom: Any, name: str = "测试", **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": mapping(geom) if not isinstance(geom, dict) else geom,
        "properties": {"code": code, "name": name, **props},
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# a small district far from the demo one, with two streets side by side
D = box(100.0, 20.0, 100.2, 20.1)
S1 = box(100.0, 20.0, 100.1, 20.1)
S2 = box(100.1, 20.0, 100.2, 20.1)


def small_tree() -> dict[str, Any]:
    return collection(
        feature("530001", D, level="district"),
        feature("530001001", S1),
        feature("530001002", S2),
        feature("530001001001", S1),
        feature("53000100100101", box(100.0, 20.0, 100.05, 20.1)),
        feature("53000100100102", box(100.05, 20.0, 100.1, 20.1)),
    )


def reasons(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [d["reason"] for d in exc.value.details]


class TestImport:
    def test_imports_a_clean_tree(self, session: Session) -> None:
        report = service.import_geojson(session, small_tree())
        assert report.created == 6
        assert service.get_area(session, "53000100100102").parent_code == "530001001001"

    def test_reimport_updates(self, session: Session) -> None:
        service.import_geojson(session, small_tree())
        assert service.import_geojson(session, small_tree()).updated == 6

    def test_missing_code(self, session: Session) -> None:
        bad = collection({"type": "Feature", "geometry": mapping(D), "properties": {"name": "x"}})
        with pytest.raises(ValidationFailed) as info:
            service.import_geojson(session, bad, source="f.geojson")
        assert info.value.details[0] == {
            "file": "f.geojson",
            "index": 0,
            "code": None,
            "reason": "missing property 'code'",
        }

    def test_bad_geometry(self, session: Session) -> None:
        bowtie = {
            "type": "Polygon",
            "coordinates": [[[100, 20], [100.1, 20.1], [100.1, 20], [100, 20.1], [100, 20]]],
        }
        with pytest.raises(ValidationFailed) as info:
            service.import_geojson(session, collection(feature("530001", bowtie)))
        assert "invalid geometry" in reasons(info)[0]

    def test_code_not_fitting_parent(self, session: Session) -> None:
        tree = small_tree()
        tree["features"][3]["properties"]["parent_code"] = "530001002"
        with pytest.raises(ValidationFailed) as info:
            service.import_geojson(session, tree)
        assert any("does not fit its parent" in r for r in reasons(info))

    def test_duplicate(self, session: Session) -> None:
        tree = small_tree()
        tree["features"].append(tree["features"][1])
        with pytest.raises(ValidationFailed) as info:
            service.import_geojson(session, tree)
        assert info.value.details[0]["index"] == 6
        assert "duplicate code" in reasons(info)[0]

    def test_child_outside_parent(self, session: Session) -> None:
        tree = small_tree()
        tree["features"][4] = feature("53000100100101", box(100.0, 20.0, 100.15, 20.1))
        with pytest.raises(ValidationFailed) as info:
            service.import_geojson(session, tree)
        assert any("outside its parent" in r for r in reasons(info))

    def test_overlapping_siblings(self, session: Session) -> None:
        tree = small_tree()
        tree["features"][2] = feature("530001002", box(100.05, 20.0, 100.2, 20.1))
        with pytest.raises(ValidationFailed) as info:
            service.import_geojson(session, tree)
        assert any("overlaps sibling 530001001" in r for r in reasons(info))

    def test_failed_import_changes_nothing(self, session: Session) -> None:
        before = service.level_counts(session)
        tree = small_tree()
        tree["features"].append(feature("53000100100103", box(100.0, 20.0, 100.02, 20.02)))  # overlaps 01
        with pytest.raises(ValidationFailed):
            service.import_geojson(session, tree)
        assert service.level_counts(session) == before

    def test_not_geojson(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as info:
            service.import_geojson(session, b"{nope")
        assert "not valid JSON" in reasons(info)[0]


class TestAreaNames:
    def test_names_of_the_levels_asked(self, session: Session) -> None:
        service.import_geojson(
            session,
            collection(
                feature("530001", D, name="测试区", level="district"),
                feature("530001001", S1, name="测试一街道"),
                feature("530001001001", S1, name="测试社区"),
            ),
        )
        streets = service.area_names(session, levels=[AreaLevel.DISTRICT, AreaLevel.STREET])
        assert {"测试区", "测试一街道"} <= set(streets) and "测试社区" not in streets
        assert service.area_names(session, levels=[]) == []


class TestExport:
    def test_round_trip(self, session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
        path = tmp_path / "grids.geojson"
        n = service.export_geojson(session, path, level=AreaLevel.GRID)
        doc = json.loads(path.read_text())
        assert n == len(doc["features"]) == 239
        assert service.import_geojson(session, doc).updated == 239


class TestLocate:
    def test_binjiang_point(self, session: Session) -> None:
        found = service.locate(session, lon=120.21, lat=30.208)
        assert found is not None
        assert found.street is not None and found.street.name == "西兴街道"
        assert found.district is not None and found.district.code == "330108"
        assert found.grid.code.startswith(found.community.code)  # type: ignore[union-attr]

    def test_gcj02_input_lands_in_same_grid(self, session: Session) -> None:
        wgs = service.locate(session, lon=120.21, lat=30.208)
        gcj = service.locate(session, lon=120.214534, lat=30.205570, crs="gcj02")
        bd = service.locate(session, lon=120.220993, lat=30.211650, crs="bd09")
        assert wgs == gcj == bd

    def test_outside(self, session: Session) -> None:
        assert service.locate(session, lon=121.5, lat=31.2) is None

    def test_shared_edge_goes_to_lowest_code(self, session: Session) -> None:
        service.import_geojson(session, small_tree())
        on_edge = service.locate(session, lon=100.05, lat=20.05)
        assert on_edge is not None and on_edge.grid.code == "53000100100101"
        corner = service.locate(session, lon=100.1, lat=20.1)  # corner of grid 02 only
        assert corner is not None and corner.grid.code == "53000100100102"

    def test_many_matches_one_by_one(self, session: Session) -> None:
        rng = np.random.default_rng(3)
        lon, lat = rng.uniform(120.12, 120.26, 500), rng.uniform(30.14, 30.24, 500)
        many = service.locate_many(session, lon=lon, lat=lat)
        assert many == [
            service.locate(session, lon=float(x), lat=float(y)) for x, y in zip(lon, lat, strict=True)
        ]
        assert 0 < sum(m is not None for m in many) < 500

    def test_refreshes_when_boundaries_change(self, session: Session) -> None:
        assert service.locate(session, lon=100.05, lat=20.05) is None
        service.import_geojson(session, small_tree())
        assert service.locate(session, lon=100.02, lat=20.05) is not None

    def test_rejects_bad_coordinates(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as info:
            service.locate(session, lon=200, lat=30)
        assert info.value.field == "lon"
