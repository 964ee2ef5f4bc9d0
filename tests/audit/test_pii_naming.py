"""One naming scheme for every read of personal data (issue 14): reveals and searches by phone or ID number
are all ``pii.*`` and found by the auditor's ``action=pii.``; a reveal returns only the fields asked for and
needs a purpose from the list and a real reason."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.audit import pii_service
from pingan.audit.service import record
from pingan.core.errors import ValidationFailed
from pingan.core.security import Actor
from tests.cases.helpers import point_in
from tests.factories import auth


def reported_case(client: TestClient, session: Session) -> int:
    lon, lat = point_in(session)
    body = {
        "category_code": "1402",
        "description": "路灯不亮",
        "lon": lon,
        "lat": lat,
        "reporter_name": "赵六",
        "reporter_phone": "13900004444",
    }
    r = client.post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def pii_reads(client: TestClient, session: Session, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/audit", params={"action": "pii.", **params}, headers=auth(session, "auditor"))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


REVEAL = {"purpose": "contact", "reason": "回访报事人，核实路灯位置"}


class TestOneScheme:
    def test_case_reporter_reveal_and_phone_search_are_pii_reads(
        self, client: TestClient, session: Session
    ) -> None:
        case_id = reported_case(client, session)
        street = auth(session, "street")
        r = client.post(
            f"/api/v1/cases/{case_id}/reveal-reporter", json={"fields": ["phone"], **REVEAL}, headers=street
        )
        assert r.status_code == 200, r.text
        assert (
            client.get("/api/v1/cases", params={"reporter_phone": "13900004444"}, headers=street).json()[
                "total"
            ]
            >= 1
        )
        found = {(x["action"], x["subject_type"]) for x in pii_reads(client, session, who="street")}
        assert ("pii.reveal", "case_reporter") in found and ("pii.search", "case_reporter") in found

    def test_resident_and_volunteer_searches_are_pii_reads(
        self, client: TestClient, session: Session
    ) -> None:
        gw = auth(session, "gridworker")
        assert (
            client.get("/api/v1/grids/residents", params={"phone": "13800000000"}, headers=gw).status_code
            == 200
        )
        street = auth(session, "street")
        r = client.get("/api/v1/patrols/volunteers", params={"phone": "13800000000"}, headers=street)
        assert r.status_code == 200
        found = {(x["action"], x["subject_type"]) for x in pii_reads(client, session)}
        assert {("pii.search", "grid_resident"), ("pii.search", "patrol_volunteer")} <= found

    def test_records_under_the_old_names_are_found_under_the_new(
        self, client: TestClient, session: Session
    ) -> None:
        old = Actor(account_id=None, username="before-rename")
        record(session, old, action="reveal", subject_type="case_reporter", subject_id=1, reason="x")
        record(session, old, action="pii_search", subject_type="case_reporter")
        session.flush()
        found = pii_reads(client, session, who="before-rename")
        assert sorted(x["action"] for x in found) == ["pii.reveal", "pii.search"]
        exact = client.get(
            "/api/v1/audit",
            params={"action": "pii.search", "who": "before-rename"},
            headers=auth(session, "auditor"),
        ).json()
        assert exact["total"] == 1


class TestOnlyTheFieldsAskedFor:
    def test_case_reporter(self, client: TestClient, session: Session) -> None:
        case_id = reported_case(client, session)
        r = client.post(
            f"/api/v1/cases/{case_id}/reveal-reporter",
            json={"fields": ["phone"], **REVEAL},
            headers=auth(session, "street"),
        )
        assert r.json() == {"phone": "13900004444"} and "赵六" not in r.text
        [rec] = pii_reads(
            client, session, who="street", subject_type="case_reporter", subject_id=str(case_id)
        )
        assert rec["details"]["fields"] == ["phone"] and rec["reason"] == "contact: 回访报事人，核实路灯位置"

    def test_unknown_or_no_field_is_refused(self, client: TestClient, session: Session) -> None:
        case_id = reported_case(client, session)
        url, street = f"/api/v1/cases/{case_id}/reveal-reporter", auth(session, "street")
        for fields in ([], ["id_number"]):
            r = client.post(url, json={"fields": fields, **REVEAL}, headers=street)
            assert r.status_code == 422 and r.json()["error"]["field"] == "fields"


class TestARealReason:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"fields": ["phone"], "purpose": "contact", "reason": "."}, "reason"),
            ({"fields": ["phone"], "purpose": "contact", "reason": "  ok  "}, "reason"),
            ({"fields": ["phone"], "reason": "回访报事人核实"}, "purpose"),
            ({"fields": ["phone"], "purpose": "curiosity", "reason": "回访报事人核实"}, "purpose"),
        ],
    )
    def test_api_refuses(
        self, client: TestClient, session: Session, body: dict[str, Any], field: str
    ) -> None:
        case_id = reported_case(client, session)
        r = client.post(
            f"/api/v1/cases/{case_id}/reveal-reporter", json=body, headers=auth(session, "street")
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == field
        assert "13900004444" not in r.text

    def test_service_refuses_a_dot(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            pii_service.check_reason(".")
        assert exc.value.field == "reason"
        with pytest.raises(ValidationFailed) as exc:
            pii_service.check_purpose("")
        assert exc.value.field == "purpose"
