from fastapi.testclient import TestClient


class TestTree:
    def test_tree_has_three_streets(self, client: TestClient) -> None:
        tree = client.get("/api/v1/areas").json()
        assert tree[0]["code"] == "330108"
        assert [s["name"] for s in tree[0]["children"]] == ["西兴街道", "长河街道", "浦沿街道"]

    def test_max_level(self, client: TestClient) -> None:
        tree = client.get("/api/v1/areas", params={"max_level": "street"}).json()
        assert all(not s["children"] for s in tree[0]["children"])


class TestOneArea:
    def test_area_with_chain(self, client: TestClient) -> None:
        body = client.get("/api/v1/areas/330108002", params={"geometry": "true"}).json()
        assert body["name"] == "长河街道"
        assert body["ancestors"][0]["code"] == "330108"
        assert len(body["children"]) == 20
        assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")

    def test_unknown(self, client: TestClient) -> None:
        r = client.get("/api/v1/areas/999")
        assert r.status_code == 404
        assert r.json()["error"]["field"] == "code"


class TestGeoJSON:
    def test_grid_level(self, client: TestClient) -> None:
        doc = client.get("/api/v1/areas/geojson", params={"level": "grid", "within": "330108001"}).json()
        assert doc["type"] == "FeatureCollection"
        assert doc["features"] and all(
            f["properties"]["code"].startswith("330108001") for f in doc["features"]
        )


class TestLocate:
    def test_point(self, client: TestClient) -> None:
        body = client.get("/api/v1/locate", params={"lon": 120.21, "lat": 30.208}).json()
        assert body["street"]["name"] == "西兴街道"

    def test_outside(self, client: TestClient) -> None:
        assert client.get("/api/v1/locate", params={"lon": 121.5, "lat": 31.2}).json()["grid"] is None

    def test_bad_crs(self, client: TestClient) -> None:
        r = client.get("/api/v1/locate", params={"lon": 120.21, "lat": 30.208, "crs": "utm"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "crs"

    def test_missing_lat(self, client: TestClient) -> None:
        r = client.get("/api/v1/locate", params={"lon": 120.21})
        assert r.status_code == 422 and r.json()["error"]["field"] == "lat"

    def test_batch(self, client: TestClient) -> None:
        r = client.post("/api/v1/locate", json={"crs": "wgs84", "points": [[120.21, 30.208], [0, 0]]})
        results = r.json()["results"]
        assert results[0]["district"]["code"] == "330108" and results[1] is None

    def test_batch_bad_point(self, client: TestClient) -> None:
        r = client.post("/api/v1/locate", json={"points": [[120.21, 95]]})
        assert r.status_code == 422 and r.json()["error"]["field"] == "points"
