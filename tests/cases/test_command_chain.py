"""Issue 13 "Cases and the command chain": escalation and supervision that can be followed, strict list
filters, a handler's queue, public tracking (attachments, public text, tracking_code, opinions), staff seeing
ratings, counts that agree."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.cases import jobs, kpis, live, service, workflow
from pingan.cases.models import Case
from pingan.core.clock import LOCAL_TZ, utcnow
from pingan.core.errors import Forbidden
from pingan.core.security import Actor
from pingan.grids import opinions
from tests.cases.conftest import JPEG
from tests.cases.helpers import point_in, report_with_photo
from tests.factories import actor, auth

SYSTEM = Actor.system("test")


def new_case(session: Session, code: str = "0102") -> Case:
    lon, lat = point_in(session)
    return service.raise_case(
        session, SYSTEM, category_code=code, description="x", source="app", lon=lon, lat=lat
    )


def step(session: Session, who: str, case: Case, action: str, note: str = "", **kw: Any) -> Case:
    return workflow.transition(session, actor(session, who), case_id=case.id, action=action, note=note, **kw)


def _numbers(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    r = client.get("/api/v1/cases", params={"limit": 500, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return {c["number"] for c in r.json()["items"]}


class TestChainFilters:
    def test_escalated_and_supervised_can_be_listed(self, client: TestClient, session: Session) -> None:
        escalated, supervised, plain = new_case(session), new_case(session), new_case(session)
        step(session, "street", escalated, "escalate", "超出街道处置能力")
        step(session, "admin", supervised, "supervise", "请加快办理")
        admin = auth(session, "admin")
        up = _numbers(client, admin, escalation_level="district", is_open="true")
        assert escalated.number in up and plain.number not in up and supervised.number not in up
        watched = _numbers(client, admin, is_supervised="true", is_open="true")
        assert {escalated.number, supervised.number} <= watched and plain.number not in watched

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"state": "bogus"}, "state"),
            ({"state": ["open_ish"]}, "state"),
            ({"escalation_level": "province"}, "escalation_level"),
            ({"sla_color": "purple"}, "sla_color"),
            ({"source": "fax"}, "source"),
            ({"colour": "red"}, "colour"),
            ({"escalated": "true"}, "escalated"),
        ],
    )
    def test_unknown_values_and_parameters_are_422(
        self, client: TestClient, session: Session, params: dict[str, Any], field: str
    ) -> None:
        r = client.get("/api/v1/cases", params=params, headers=auth(session, "admin"))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == field


class TestEscalation:
    def test_escalation_notifies_the_district_and_takes_the_case_up(self, session: Session) -> None:
        case = new_case(session)
        step(session, "street", case, "register")
        step(session, "street", case, "escalate", "涉及多个街道，需区级协调")
        messages = session.info[live._KEY]  # published on the live feed when the transaction commits
        assert any(m["event"] == "escalate" and m["case"]["id"] == case.id for m in messages)
        district = jobs.reminders_for(session, actor(session, "admin"))
        assert any(r["case_id"] == case.id and r["kind"] == "escalated" for r in district)
        street = jobs.reminders_for(session, actor(session, "street"))
        assert not any(r["case_id"] == case.id and r["kind"] == "escalated" for r in street)
        # the street no longer dispatches it: the district does, or hands it back
        assert "dispatch" not in workflow.allowed_actions(session, actor(session, "street"), case)
        with pytest.raises(Forbidden):
            step(session, "street", case, "dispatch")
        assert "dispatch" in workflow.allowed_actions(session, actor(session, "admin"), case)
        step(session, "admin", case, "hand_back", "由街道牵头办理")
        assert case.escalation_level == "street"
        street = jobs.reminders_for(session, actor(session, "street"))
        assert any(r["case_id"] == case.id and r["kind"] == "handed_back" for r in street)
        assert step(session, "street", case, "dispatch").state == "dispatched"

    def test_supervision_reaches_the_street_and_the_handler(self, session: Session) -> None:
        case = new_case(session)
        step(session, "street", case, "register")
        step(session, "street", case, "dispatch")
        step(session, "admin", case, "supervise", "群众反映强烈，限期办结")
        for who in ("street", "handler"):
            mine = jobs.reminders_for(session, actor(session, who))
            assert any(r["case_id"] == case.id and r["kind"] == "supervised" for r in mine), who


class TestHandlerQueue:
    def test_a_handler_sees_cases_once_dispatched(self, client: TestClient, session: Session) -> None:
        case = new_case(session)  # routed to 城管, the demo handler's unit
        handler = auth(session, "handler")
        assert case.number not in _numbers(client, handler, q=case.number)
        assert client.get(f"/api/v1/cases/{case.id}", headers=handler).status_code == 404
        step(session, "street", case, "register")
        assert case.number not in _numbers(client, handler, q=case.number)
        step(session, "street", case, "dispatch")
        assert case.number in _numbers(client, handler, q=case.number)
        assert "start" in client.get(f"/api/v1/cases/{case.id}", headers=handler).json()["allowed_actions"]


class TestPublicTracking:
    def test_listed_attachment_opens_with_the_tracking_code(
        self, client: TestClient, session: Session
    ) -> None:
        created = report_with_photo(client, session, JPEG).json()
        number, code = created["number"], created["tracking_code"]
        assert created["tracking_token"] == code  # the former name, still answered
        view = client.get(f"/api/v1/public/cases/{number}", params={"tracking_code": code}).json()
        url = view["attachments"][0]["url"]
        photo = client.get(url)
        assert photo.status_code == 200 and photo.content == JPEG
        assert client.get(url.split("?")[0], params={"tracking_code": "wrong"}).status_code == 404
        # the former parameter name still works
        assert client.get(f"/api/v1/public/cases/{number}", params={"token": code}).status_code == 200

    def test_internal_notes_stay_internal(self, client: TestClient, session: Session) -> None:
        created = report_with_photo(client, session, JPEG).json()
        number, code, case_id = created["number"], created["tracking_code"], created["id"]
        street = auth(session, "street")
        client.post(f"/api/v1/cases/{case_id}/actions/register", json={}, headers=street)
        staff = client.get(f"/api/v1/cases/{case_id}", headers=street).json()
        internal = staff["timeline"][0]["note"]
        assert "rule" in internal or "resident_web" in internal  # the routing reason, for staff
        view = client.get(f"/api/v1/public/cases/{number}", params={"tracking_code": code})
        assert "resident_web" not in view.text and "rule" not in view.text
        assert [u["note"] for u in view.json()["updates"]] == ["", ""]

    def test_a_resident_follows_the_case_made_from_their_opinion(
        self, client: TestClient, session: Session
    ) -> None:
        lon, lat = point_in(session)
        opinion = opinions.submit_opinion(
            session, actor(session, "resident"), content="小区门口路灯坏了很久", lon=lon, lat=lat
        )
        made = opinions.opinion_to_case(session, actor(session, "admin"), opinion_id=opinion.id)
        resident = auth(session, "resident")
        listed = client.get("/api/v1/grids/opinions", headers=resident).json()["items"]
        mine = next(o for o in listed if o["id"] == opinion.id)
        assert mine["case_number"] == made.case_number
        assert mine["tracking_url"] == f"/track?number={made.case_number}"
        page = client.get(mine["tracking_url"], headers={**resident, "accept": "text/html"})
        assert page.status_code == 200 and made.case_number in page.text and 'id="tracked"' in page.text
        assert client.get(f"/api/v1/cases/{made.case_id}", headers=resident).status_code == 200


class TestStaffSeeRatings:
    def test_rating_comment_and_fixed_answer_on_the_case(self, client: TestClient, session: Session) -> None:
        created = report_with_photo(client, session, JPEG).json()
        case = session.get(Case, created["id"])
        assert case is not None
        for who, action, note in (
            ("street", "register", ""),
            ("street", "dispatch", ""),
            ("handler", "handle", "已清运"),
            ("street", "verify", ""),
            ("street", "close", ""),
        ):
            step(session, who, case, action, note)
        r = client.post(
            f"/api/v1/public/cases/{created['number']}/rating",
            json={"tracking_code": created["tracking_code"], "is_fixed": False, "comment": "垃圾又堆起来了"},
        )
        assert r.status_code == 200, r.text
        detail = client.get(f"/api/v1/cases/{case.id}", headers=auth(session, "street")).json()
        assert detail["ratings"][-1]["is_fixed"] is False
        assert detail["ratings"][-1]["comment"] == "垃圾又堆起来了"


class TestCounts:
    def test_merged_cases_are_not_received_and_kpis_agree(self, session: Session) -> None:
        admin = actor(session, "admin")
        today = utcnow().astimezone(LOCAL_TZ).date()
        before = kpis.count_received(session, admin, date_from=today)
        kept, merged = new_case(session), new_case(session)
        step(session, "street", merged, "merge", into_case_id=kept.id)
        assert kpis.count_received(session, admin, date_from=today) == before + 1
        total = kpis.case_kpis(session, admin, date_from=today, date_to=today)["groups"][0]
        assert total["received"] == before + 1
        assert kpis.received_by_day(session, admin, date_from=today, date_to=today) == {today: before + 1}

    def test_major_groups_carry_names(self, session: Session) -> None:
        groups = kpis.case_kpis(session, actor(session, "admin"), group_by="major")["groups"]
        by_key = {g["key"]: g for g in groups}
        assert by_key["06"]["name_zh"] and by_key["06"]["name_zh"] != "06"
        assert by_key["06"]["name_en"] and by_key["06"]["name_en"] != "06"

    def test_sql_aggregation_matches_the_rows(self, session: Session) -> None:
        admin = actor(session, "admin")
        today = utcnow().astimezone(LOCAL_TZ).date()
        for group_by in kpis.GROUPS:
            kw: dict[str, Any] = {
                "group_by": group_by,
                "date_from": today - timedelta(days=45),  # two months of the full-size history, any grouping
                "date_to": today,
            }
            assert kpis.case_kpis(session, admin, **kw) == kpis.case_kpis_by_rows(session, admin, **kw), (
                group_by
            )
