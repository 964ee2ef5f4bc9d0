"""Open311 with hostile or foreign input (issue 13): control characters never make the XML ill-formed, and an
international phone number never costs the report. The JSON API and the web form take the same numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.cases.models import Case, CaseEvent
from tests.cases.helpers import GRID, point_in
from tests.factories import auth

BASE = "/open311/v2"
XML_FEEDS = ("requests.xml", "servicerequestupdates.xml")


@pytest.fixture
def key(session: Session) -> str:
    partner = accounts.create_account(session, username="partner-input", password="partner-password")
    token = accounts.issue_token(session, account_id=partner.id, kind="open311", name="partner", ttl=None)
    session.commit()
    return token


def _post(client: TestClient, session: Session, key: str, **fields: str) -> dict[str, str]:
    lon, lat = point_in(session, GRID)
    data = {"api_key": key, "service_code": "0102", "lat": str(lat), "long": str(lon), **fields}
    r = client.post(f"{BASE}/requests.json", data=data)
    assert r.status_code == 201, r.text
    return dict(r.json()[0])


def _parse_all(client: TestClient, key: str, number: str) -> list[ET.Element]:
    """Every XML document a client polls, parsed by a real XML parser (raises when not well-formed)."""
    docs = [client.get(f"{BASE}/{feed}", params={"api_key": key}).text for feed in XML_FEEDS]
    docs.append(client.get(f"{BASE}/requests/{number}.xml", params={"extensions": "true"}).text)
    return [ET.fromstring(doc.encode("utf-8")) for doc in docs]


class TestControlCharacters:
    @pytest.mark.parametrize("char", ["\x07", "\x0b", "\x1b", "\x00"])
    def test_request_description_refused_in_spec_shape(
        self, client: TestClient, session: Session, key: str, char: str
    ) -> None:
        lon, lat = point_in(session, GRID)
        data = {"api_key": key, "service_code": "0102", "lat": str(lat), "long": str(lon)}
        r = client.post(f"{BASE}/requests.xml", data={**data, "description": f"路灯{char}不亮"})
        assert r.status_code == 400
        error = ET.fromstring(r.content).find("error")
        assert error is not None and "description" in (error.findtext("description") or "")

    def test_update_description_refused(self, client: TestClient, session: Session, key: str) -> None:
        number = _post(client, session, key, description="路灯不亮")["service_request_id"]
        r = client.post(
            f"{BASE}/servicerequestupdates.json",
            data={
                "api_key": key,
                "service_request_id": number,
                "update_id": "u1",
                "description": "还是\x1b不亮",
            },
        )
        assert r.status_code == 400 and "description" in r.json()[0]["description"]

    def test_query_parameter_refused(self, client: TestClient) -> None:
        r = client.get(f"{BASE}/requests.json", params={"service_code": "01\x0002"})
        assert r.status_code == 400 and "service_code" in r.json()[0]["description"]

    def test_text_already_stored_still_gives_well_formed_xml(
        self, client: TestClient, session: Session, key: str
    ) -> None:
        number = _post(client, session, key, description="路灯不亮")["service_request_id"]
        ok = client.post(
            f"{BASE}/servicerequestupdates.json",
            data={"api_key": key, "service_request_id": number, "update_id": "u2", "description": "还是不亮"},
        )
        assert ok.status_code == 200, ok.text
        # as if written before the input rule, or straight into the database
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        session.execute(update(Case).where(Case.id == case_id).values(description="路灯\x07不\x0b亮\x1b"))
        session.execute(update(CaseEvent).where(CaseEvent.case_id == case_id).values(note="还是\x1b不亮\x07"))
        session.commit()
        for root in _parse_all(client, key, number):
            assert root.tag in ("service_requests", "service_request_updates")
        one = ET.fromstring(client.get(f"{BASE}/requests/{number}.xml").content)
        assert one.findtext("request/description") == "路灯不亮"


class TestInternationalPhone:
    def test_open311_accepts_e164(self, client: TestClient, session: Session, key: str) -> None:
        created = _post(client, session, key, description="路灯不亮", phone="+44 7700 900123")
        case = session.scalars(select(Case).where(Case.number == created["service_request_id"])).one()
        assert case.reporter_phone_masked.startswith("+44") and case.reporter_phone_masked.endswith("23")

    def test_open311_unreadable_phone_is_dropped_with_a_notice(
        self, client: TestClient, session: Session, key: str
    ) -> None:
        created = _post(client, session, key, description="路灯不亮", phone="123")
        assert "phone" in created["service_notice"]
        case = session.scalars(select(Case).where(Case.number == created["service_request_id"])).one()
        assert case.reporter_phone_masked == ""

    def test_json_api_accepts_e164(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session, GRID)
        body = {
            "category_code": "0102",
            "description": "路灯不亮",
            "lon": lon,
            "lat": lat,
            "reporter_phone": "+44 7700 900123",
        }
        r = client.post("/api/v1/cases", json=body)
        assert r.status_code == 201, r.text

    def test_report_form_accepts_e164(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session, GRID)
        r = client.post(
            "/report",
            data={
                "category_code": "0102",
                "description": "路灯不亮好几天了",
                "lon": str(lon),
                "lat": str(lat),
                "reporter_phone": "+1 202-555-0123",
            },
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 201, r.text

    def test_api_form_refuses_an_impossible_number_naming_it(
        self, client: TestClient, session: Session
    ) -> None:
        lon, lat = point_in(session, GRID)
        r = client.post(
            "/api/v1/cases/form",
            data={
                "category_code": "0102",
                "description": "路灯不亮",
                "lon": str(lon),
                "lat": str(lat),
                "reporter_phone": "+44 12",
            },
            headers=auth(session, "resident"),
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "reporter_phone"
