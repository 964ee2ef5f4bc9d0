"""Every role lands on a page made for it (issue 13): after sign-in and at ``/``; the 403 page offers a
signed-in user their own page and sign-out; the auditor's audit page; the clerk's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import record
from pingan.core.security import Actor
from tests.factories import auth
from tests.web.test_pages import HTML, csrf

LANDINGS = [
    ("admin", "/wall"),
    ("street", "/wall"),
    ("handler", "/work"),
    ("gridworker", "/gridwork"),
    ("cadre", "/gridwork"),
    ("volunteer", "/patrol"),
    ("auditor", "/audit"),
    ("clerk", "/clerk"),
    ("resident", "/report"),
]


def sign_in(client: TestClient, username: str) -> str:
    data = {"username": username, "password": "pingan-demo", "csrf_token": csrf(client)}
    r = client.post("/login", data=data, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return r.headers["location"]


class TestLanding:
    @pytest.mark.parametrize(("username", "page"), LANDINGS)
    def test_each_role_lands_on_its_page(self, client: TestClient, username: str, page: str) -> None:
        assert sign_in(client, username) == page
        r = client.get("/", headers=HTML, follow_redirects=False)
        assert r.headers["location"] == page
        landed = client.get(page, headers=HTML)
        assert landed.status_code == 200, (page, landed.text[:300])


class TestForbiddenPage:
    def test_signed_in_user_is_offered_their_page_and_sign_out(self, client: TestClient) -> None:
        sign_in(client, "auditor")
        r = client.get("/work", headers=HTML)
        assert r.status_code == 403 and "无权访问" in r.text
        main = r.text.split('<main id="main"', 1)[1]
        assert 'href="/audit"' in main and 'action="/logout"' in main
        assert 'href="/login"' not in r.text

    def test_anonymous_404_still_offers_the_start(self, client: TestClient) -> None:
        r = client.get("/no-such-page", headers=HTML)
        assert r.status_code == 404 and 'href="/login"' in r.text


class TestAuditPage:
    def test_only_auditors(self, client: TestClient) -> None:
        sign_in(client, "admin")
        assert client.get("/audit", headers=HTML).status_code == 403

    def test_same_records_as_the_api(self, client: TestClient, session: Session) -> None:
        at = datetime(2026, 11, 29, 6, 5, tzinfo=UTC)  # 14:05 in Asia/Shanghai
        for i in range(3):  # written at a known time (records cannot be updated afterwards)
            session.add(
                AuditRecord(
                    at=at,
                    username="inspector-x",
                    action="pii.reveal",
                    subject_type="grid_resident",
                    subject_id=str(100 + i),
                    area_code="330108002",
                    reason="核实身份 verify",
                    details={},
                )
            )
        session.flush()
        api = client.get(
            "/api/v1/audit", params={"who": "inspector-x", "action": "pii."}, headers=auth(session, "auditor")
        ).json()
        sign_in(client, "auditor")
        r = client.get("/audit", params={"who": "inspector-x", "action": "pii."}, headers=HTML)
        assert r.status_code == 200 and api["total"] == 3
        assert "共 3 条" in r.text and "2026-11-29 14:05" in r.text
        shown = re.findall(r"grid_resident:(\d+)", r.text)
        assert shown == [str(item["subject_id"]) for item in api["items"]]
        days = client.get(
            "/audit", params={"who": "inspector-x", "since": "2026-11-29", "until": "2026-11-29"}
        )
        assert "共 3 条" in days.text
        before = client.get("/audit", params={"who": "inspector-x", "until": "2026-11-28"})
        assert "共 0 条" in before.text

    def test_pages_of_fifty(self, client: TestClient, session: Session) -> None:
        for i in range(55):
            record(
                session,
                Actor(account_id=None, username="bulk-y"),
                action="account.create",
                subject_type="account",
                subject_id=i,
            )
        session.flush()
        sign_in(client, "auditor")
        first = client.get("/audit", params={"who": "bulk-y"}, headers=HTML)
        assert first.text.count("account:") == 50 and 'rel="next"' in first.text
        second = client.get("/audit", params={"who": "bulk-y", "page": "2"}, headers=HTML)
        assert second.text.count("account:") == 5 and 'rel="prev"' in second.text

    def test_bad_filters_are_explained_not_500(self, client: TestClient) -> None:
        sign_in(client, "auditor")
        r = client.get("/audit", params={"since": "yesterday"}, headers=HTML)
        assert r.status_code == 422 and "since" in r.text and 'aria-invalid="true"' in r.text
        r = client.get("/audit", params={"since": "2026-12-01", "until": "2026-11-01"}, headers=HTML)
        assert r.status_code == 422
        r = client.get("/audit", params={"area": "abc"}, headers=HTML)
        assert r.status_code == 422

    def test_in_english(self, client: TestClient) -> None:
        sign_in(client, "auditor")
        client.get("/lang/en")
        r = client.get("/audit", headers=HTML)
        assert r.status_code == 200 and "Audit trail" in r.text and "审计查询" not in r.text


class TestClerkPage:
    def test_says_what_works_today_and_what_does_not(self, client: TestClient) -> None:
        sign_in(client, "clerk")
        r = client.get("/clerk", headers=HTML)
        assert r.status_code == 200
        assert 'href="/report"' in r.text and "尚未上线" in r.text and "快递实名收寄登记" in r.text
