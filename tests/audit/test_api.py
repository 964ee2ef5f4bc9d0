from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.audit import service
from pingan.core.security import Actor
from tests.factories import auth


class TestSearchAudit:
    def test_auditor_searches_with_filters(self, client: TestClient, session: Session) -> None:
        service.record(
            session, Actor(None, "li"), action="pii.export", subject_type="person", area_code="330108002"
        )
        r = client.get(
            "/api/v1/audit",
            params={"who": "li", "action": "pii.*", "area": "330108002", "since": "2020-01-01T00:00:00"},
            headers=auth(session, "auditor"),
        )
        assert r.status_code == 200
        assert [i["username"] for i in r.json()["items"]] == ["li"] and r.json()["total"] == 1

    def test_bad_time_names_the_field(self, client: TestClient, session: Session) -> None:
        r = client.get("/api/v1/audit", params={"since": "yesterday"}, headers=auth(session, "auditor"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "since"

    def test_no_write_methods(self, client: TestClient, session: Session) -> None:
        headers = auth(session, "auditor")
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert client.request(method, "/api/v1/audit", headers=headers).status_code == 405
