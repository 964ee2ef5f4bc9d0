"""The district's named roads: import (all or nothing), the public GeoJSON with label points, the demo's
roads, and label points on area GeoJSON (map context for pages without tiles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.areas import roads
from pingan.areas.models import Road
from pingan.core.errors import ValidationFailed

NAMED = {"江南大道", "滨盛路", "江陵路", "长河路", "浦沿路", "东信大道"}


def _line(name: str, coords: list[list[float]], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {"name": name, **props},
    }


def _fc(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


class TestImport:
    def test_adds_and_replaces_by_name(self, session: Session) -> None:
        n = roads.import_roads(
            session, _fc(_line("测试路", [[120.20, 30.20], [120.21, 30.20]], kind="arterial"))
        )
        assert n == 1
        road = session.scalars(select(Road).where(Road.name == "测试路")).one()
        assert road.kind == "arterial" and 900 < road.length_m < 1000  # 0.01° of longitude at 30.2° N ≈ 962 m
        roads.import_roads(session, _fc(_line("测试路", [[120.20, 30.20], [120.22, 30.20]])))
        again = session.scalars(select(Road).where(Road.name == "测试路")).all()
        assert len(again) == 1 and again[0].kind == "main" and again[0].length_m > 1900

    @pytest.mark.parametrize(
        ("feature", "reason"),
        [
            (_line("", [[120.2, 30.2], [120.3, 30.2]]), "name"),
            (_line("坏路", [[120.2, 30.2], [120.3, 30.2]], kind="lane"), "kind"),
            (
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [120.2, 30.2]},
                    "properties": {},
                },
                "name",
            ),
            (
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [120.2, 30.2]},
                    "properties": {"name": "点路"},
                },
                "LineString",
            ),
            (_line("远路", [[200.0, 30.2], [201.0, 30.2]]), "WGS-84"),
            (_line("零路", [[120.2, 30.2], [120.2, 30.2]]), "empty"),
        ],
    )
    def test_bad_feature_refuses_the_whole_file(self, session: Session, feature: Any, reason: str) -> None:
        good = _line("好路", [[120.20, 30.20], [120.21, 30.20]])
        with pytest.raises(ValidationFailed) as err:
            roads.import_roads(session, _fc(good, feature))
        assert err.value.field == "features"
        assert err.value.details[0]["index"] == 1 and reason in err.value.details[0]["reason"]
        assert session.scalars(select(Road).where(Road.name == "好路")).first() is None

    def test_duplicate_names_in_one_file(self, session: Session) -> None:
        a = _line("重名路", [[120.20, 30.20], [120.21, 30.20]])
        with pytest.raises(ValidationFailed) as err:
            roads.import_roads(session, _fc(a, a))
        assert "twice" in err.value.details[0]["reason"]

    def test_not_json(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as err:
            roads.import_roads(session, b"{nope")
        assert err.value.code == "invalid_roads"


class TestApi:
    def test_demo_roads_with_labels(self, client: TestClient) -> None:
        doc = client.get("/api/v1/areas/roads").json()
        names = {f["properties"]["name"] for f in doc["features"]}
        assert NAMED <= names
        for f in doc["features"]:
            assert f["geometry"]["type"] in ("LineString", "MultiLineString")
            lon, lat = f["properties"]["label"]
            assert 120.13 < lon < 120.26 and 30.14 < lat < 30.24
        # the label point lies on the road
        jiangnan = next(f for f in doc["features"] if f["properties"]["name"] == "江南大道")
        assert jiangnan["properties"]["kind"] == "arterial" and jiangnan["properties"]["length_m"] > 5000

    def test_bad_simplify(self, client: TestClient) -> None:
        r = client.get("/api/v1/areas/roads", params={"simplify": "1"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "simplify"

    def test_area_labels_lie_inside_their_area(self, client: TestClient) -> None:
        doc = client.get("/api/v1/areas/geojson", params={"level": "community", "labels": "true"}).json()
        assert len(doc["features"]) > 50
        for f in doc["features"][:10]:
            lon, lat = f["properties"]["label"]
            found = client.get("/api/v1/locate", params={"lon": lon, "lat": lat}).json()
            assert found["community"]["code"] == f["properties"]["code"]

    def test_no_labels_unless_asked(self, client: TestClient) -> None:
        doc = client.get("/api/v1/areas/geojson", params={"level": "street"}).json()
        assert "label" not in doc["features"][0]["properties"]


class TestCli:
    def test_import_and_export(self, tmp_path: Path, database_url: str) -> None:
        import orjson

        from pingan.cli import app

        source = tmp_path / "roads.geojson"
        source.write_bytes(orjson.dumps(_fc(_line("命令行路", [[120.20, 30.19], [120.21, 30.19]]))))
        runner = CliRunner()
        out = runner.invoke(app, ["areas", "import-roads", str(source), "--db", database_url])
        assert out.exit_code == 0, out.output
        assert "imported 1 roads" in out.output
        target = tmp_path / "out.geojson"
        out = runner.invoke(app, ["areas", "export-roads", str(target), "--db", database_url])
        assert out.exit_code == 0, out.output
        names = {f["properties"]["name"] for f in orjson.loads(target.read_bytes())["features"]}
        assert "命令行路" in names and NAMED <= names

    def test_bad_file_is_refused_with_the_feature(self, tmp_path: Path, database_url: str) -> None:
        from pingan.cli import app

        source = tmp_path / "bad.geojson"
        source.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
        out = CliRunner().invoke(app, ["areas", "import-roads", str(source), "--db", database_url])
        assert out.exit_code != 0
        assert "feature 0" in out.output
