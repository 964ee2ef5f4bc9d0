from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import auth


class TestHealth:
    def test_healthz_checks_database(self, client: TestClient) -> None:
        body = client.get("/healthz").json()
        assert body["status"] == "ok" and body["database"] in ("sqlite", "postgresql")


class TestErrors:
    def test_unknown_route_is_json_404(self, client: TestClient) -> None:
        r = client.get("/api/v1/nothing-here")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    def test_openapi_documents_locate(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        assert "/api/v1/locate" in paths and "post" in paths["/api/v1/locate"]


class TestAuth:
    def test_password_flow(self, client: TestClient) -> None:
        r = client.post("/api/v1/auth/token", data={"username": "admin", "password": "pingan-demo"})
        assert r.status_code == 200
        me = client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
        ).json()
        assert me["grants"] == [{"role": "district_admin", "area_code": "330108", "unit_id": None}]

    def test_wrong_password(self, client: TestClient) -> None:
        r = client.post("/api/v1/auth/token", data={"username": "admin", "password": "nope-nope"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"

    def test_logout_revokes(self, client: TestClient, session: Session) -> None:
        headers = auth(session, "auditor")
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
