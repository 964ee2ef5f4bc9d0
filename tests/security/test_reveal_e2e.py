"""End to end: reveal a protected value with a reason through the API; the auditor then finds the record."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import auth


class TestRevealWithAudit:
    def test_reveal_is_audited_and_found_by_the_auditor(self, client: TestClient, session: Session) -> None:
        admin = auth(session, "admin")
        created = client.post(
            "/api/v1/accounts",
            json={
                "username": "li_na",
                "password": "violet-harbour-lamp",
                "role": "grid_worker",
                "area_code": "330108002",
                "phone": "13987654321",
            },
            headers=admin,
        ).json()
        assert created["phone"] == "139****4321"
        account_id = created["id"]

        no_reason = client.post(
            f"/api/v1/accounts/{account_id}/reveal",
            json={"fields": ["phone"], "purpose": "contact", "reason": "."},
            headers=admin,
        )
        assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"

        r = client.post(
            f"/api/v1/accounts/{account_id}/reveal",
            json={"fields": ["phone"], "purpose": "emergency", "reason": "typhoon duty roster call"},
            headers=admin,
        )
        assert r.status_code == 200 and r.json() == {"phone": "13987654321"}

        found = client.get(
            "/api/v1/audit",
            params={"action": "pii.reveal", "subject_type": "account", "subject_id": str(account_id)},
            headers=auth(session, "auditor"),
        ).json()
        assert found["total"] == 1
        [rec] = found["items"]
        assert rec["username"] == "admin" and rec["reason"] == "emergency: typhoon duty roster call"
        assert (
            rec["details"] == {"fields": ["phone"], "purpose": "emergency"}
            and rec["area_code"] == "330108002"
        )
        assert rec["client_ip"] == "testclient" and rec["at"]

    def test_refused_reveals_leave_no_plaintext(self, client: TestClient, session: Session) -> None:
        admin = auth(session, "admin")
        account_id = client.post(
            "/api/v1/accounts",
            json={
                "username": "wang_fang",
                "password": "violet-harbour-lamp",
                "role": "grid_worker",
                "area_code": "330108001",
                "phone": "13700001111",
            },
            headers=admin,
        ).json()["id"]
        body = {"fields": ["phone"], "purpose": "contact", "reason": "curious"}
        street = client.post(
            f"/api/v1/accounts/{account_id}/reveal", json=body, headers=auth(session, "street")
        )
        auditor = client.post(
            f"/api/v1/accounts/{account_id}/reveal", json=body, headers=auth(session, "auditor")
        )
        assert street.status_code == 403 and auditor.status_code == 403
        assert "13700001111" not in street.text + auditor.text
        reveals = client.get(
            "/api/v1/audit", params={"action": "pii.reveal"}, headers=auth(session, "auditor")
        ).json()
        assert reveals["total"] == 0
