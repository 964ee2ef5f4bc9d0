"""Boundaries and names are public; households and population only inside the caller's scope."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import actor, auth


def _walk(nodes: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    out = []
    for node in nodes:
        out.append(node)
        out.extend(_walk(node.get("children", [])))
    return out


class TestReadArea:
    def test_counts_only_in_scope(self, client: TestClient, session: Session) -> None:
        grid = actor(session, "gridworker").grants[0].area_code
        anonymous = client.get(f"/api/v1/areas/{grid}").json()
        assert anonymous["name"] and anonymous["households"] is None and anonymous["population"] is None
        mine = client.get(f"/api/v1/areas/{grid}", headers=auth(session, "gridworker")).json()
        assert isinstance(mine["households"], int) and isinstance(mine["population"], int)
        other = client.get("/api/v1/areas/330108001", headers=auth(session, "gridworker")).json()
        assert other["households"] is None
        assert isinstance(
            client.get("/api/v1/areas/330108001", headers=auth(session, "admin")).json()["households"], int
        )


class TestTreeAndGeojson:
    def test_street_operator_sees_counts_of_own_street_only(
        self, client: TestClient, session: Session
    ) -> None:
        headers = auth(session, "street")
        nodes = _walk(client.get("/api/v1/areas", params={"max_level": "community"}, headers=headers).json())
        own = [n for n in nodes if n["code"].startswith("330108002")]
        others = [n for n in nodes if not n["code"].startswith("330108002")]
        assert own and all(n["households"] is not None for n in own)
        assert others and all(n["households"] is None and n["population"] is None for n in others)

    def test_anonymous_geojson_has_no_counts(self, client: TestClient) -> None:
        features = client.get("/api/v1/areas/geojson", params={"level": "street"}).json()["features"]
        assert features and all(f["properties"]["households"] is None for f in features)
        assert all(f["geometry"] for f in features)
