"""The inspections API: visits recorded once (a resend answers the same visit), bad input refused with the
field named and nothing written, a failed item a case in the street's queue, the re-inspection its
verification, repeat hazards flagged, the board and the report."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.cases import interface as cases
from pingan.core.security import Actor
from pingan.grids import interface as places
from pingan.inspections.models import Campaign, Hazard, Photo, Visit
from tests.factories import auth
from tests.inspections.conftest import photo, post_visit, uid, visit_body

SYSTEM = Actor.system("test")


def _visits(session: Session, uid_: str) -> int:
    return int(session.scalar(select(func.count()).where(Visit.visit_uid == uid_)) or 0)


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        int(session.scalar(select(func.count()).select_from(Visit)) or 0),
        int(session.scalar(select(func.count()).select_from(Hazard)) or 0),
        int(session.scalar(select(func.count()).select_from(Photo)) or 0),
    )


class TestRecordVisit:
    def test_a_failed_item_is_a_hazard_and_a_case_in_the_street_queue(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        body = visit_body(session, campaign, place.id, fail="gas.hose")
        r = post_visit(client, auth(session, "gridworker"), body)
        assert r.status_code == 201, r.text
        hazards = r.json()["hazards"]
        assert len(hazards) == 1 and hazards[0]["severity"] == "critical" and hazards[0]["case_id"]
        case = cases.get_case(session, SYSTEM, case_id=hazards[0]["case_id"])
        assert (case.category_code, case.source, case.priority) == ("0810", "inspection", "urgent")
        queue = client.get("/api/v1/cases", params={"limit": 200}, headers=auth(session, "street"))
        assert case.id in [c["id"] for c in queue.json()["items"]]

    def test_a_resend_answers_the_same_visit_and_writes_nothing_more(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        body = visit_body(session, campaign, place.id, fail="gas.alarm")
        headers = auth(session, "gridworker")
        first = post_visit(client, headers, body)
        before = _counts(session)
        again = post_visit(client, headers, body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"] and again.json()["replayed"] is True
        assert [h["id"] for h in again.json()["hazards"]] == [h["id"] for h in first.json()["hazards"]]
        assert _counts(session) == before and _visits(session, body["visit_uid"]) == 1

    def test_a_place_found_during_the_campaign_is_added_to_the_register_once(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        body = visit_body(session, campaign, place.id)
        del body["place_id"]
        body["new_place"] = {
            "place_type": "restaurant",
            "name": "新发现小吃店",
            "address": "江南大道999号",
            "lon": place.lon + 0.0001,
            "lat": place.lat,
        }
        headers = auth(session, "gridworker")
        first = post_visit(client, headers, body)
        second = post_visit(client, headers, body | {"visit_uid": uid()})
        assert (first.status_code, second.status_code) == (201, 201), second.text
        assert first.json()["place_added"] is True and second.json()["place_added"] is False
        assert first.json()["place_id"] == second.json()["place_id"]


class TestBadInput:
    def _refused(self, client: TestClient, session: Session, body: dict[str, Any]) -> Any:
        before = _counts(session)
        r = post_visit(client, auth(session, "gridworker"), body)
        assert _counts(session) == before
        assert _visits(session, body["visit_uid"]) == 0
        return r

    def test_unknown_place(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        body = visit_body(session, campaign, place.id) | {"place_id": 2_000_000_000}
        r = self._refused(client, session, body)
        assert r.status_code == 404 and r.json()["error"]["field"] == "place_id"

    def test_a_fail_without_a_photo(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        body = visit_body(session, campaign, place.id, fail="gas.hose", with_photo=False)
        r = self._refused(client, session, body)
        n = [a["item"] for a in body["answers"]].index("gas.hose")
        assert r.status_code == 422 and r.json()["error"]["field"] == f"answers.{n}.photos"

    def test_checklist_version_mismatch(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        body = visit_body(session, campaign, place.id) | {"checklist_version": 99}
        r = self._refused(client, session, body)
        assert r.status_code == 409 and r.json()["error"]["field"] == "checklist_version"
        assert r.json()["error"]["code"] == "checklist_version_mismatch"

    def test_unknown_campaign_item_and_photo(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        body = visit_body(session, campaign, place.id)
        r = self._refused(client, session, body | {"campaign_id": 2_000_000_000})
        assert r.status_code == 404 and r.json()["error"]["field"] == "campaign_id"
        wrong = [*body["answers"][:-1], {"item": "nope", "result": "pass"}]
        r = self._refused(client, session, body | {"answers": wrong})
        assert r.status_code == 422 and r.json()["error"]["field"].endswith(".item")
        bad = [dict(a) for a in body["answers"]]
        bad[0] |= {"result": "fail", "photos": ["bm90IGFuIGltYWdl"]}
        r = self._refused(client, session, body | {"answers": bad})
        assert r.status_code == 415 and r.json()["error"]["field"] == "answers.0.photos"
        r = self._refused(client, session, body | {"answers": body["answers"][1:]})
        assert r.status_code == 422 and r.json()["error"]["field"] == "answers"

    def test_a_place_outside_the_campaign(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        other, _ = places.list_places(session, types=["restaurant"], area_codes=["330108001"], limit=1)
        r = self._refused(client, session, visit_body(session, campaign, other[0].id))
        assert r.status_code in (404, 422)  # not in the gridworker's scope: 404 as if missing
        r = post_visit(client, auth(session, "admin"), visit_body(session, campaign, other[0].id))
        assert r.status_code == 422 and r.json()["error"]["field"] == "place_id"

    def test_roles(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        r = post_visit(client, auth(session, "cadre"), visit_body(session, campaign, place.id))
        assert r.status_code == 403


def _to_handled(session: Session, case_id: int) -> None:
    for action, note in (("register", ""), ("dispatch", ""), ("handle", "已整改")):
        case = cases.get_case(session, SYSTEM, case_id=case_id)
        if action == "register" and case.state != "reported":
            continue
        cases.transition(session, SYSTEM, case_id=case_id, action=action, note=note)


class TestReinspection:
    def _hazard(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> dict[str, Any]:
        r = post_visit(
            client, auth(session, "gridworker"), visit_body(session, campaign, place.id, fail="gas.vent")
        )
        assert r.status_code == 201, r.text
        hazard: dict[str, Any] = r.json()["hazards"][0]
        _to_handled(session, hazard["case_id"])
        return hazard

    def test_the_case_cannot_be_verified_without_it(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        hazard = self._hazard(client, session, campaign, place)
        r = client.post(
            f"/api/v1/cases/{hazard['case_id']}/actions/verify",
            json={},
            headers=auth(session, "street"),
        )
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "verification_required"

    def test_a_passing_reinspection_verifies_and_closes_the_case(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        hazard = self._hazard(client, session, campaign, place)
        body = {"visit_uid": uid(), "result": "pass", "photos": [photo()], "signed_by": "李复查"}
        url = f"/api/v1/inspections/hazards/{hazard['id']}/reinspections"
        r = client.post(url, json=body, headers=auth(session, "street"))
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "rectified" and r.json()["rectified_at"]
        assert cases.get_case(session, SYSTEM, case_id=hazard["case_id"]).state == "closed"
        again = client.post(url, json=body, headers=auth(session, "street"))
        assert again.status_code == 200 and again.json()["id"] == hazard["id"]

    def test_a_failing_reinspection_sends_the_case_back(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        hazard = self._hazard(client, session, campaign, place)
        body = {
            "visit_uid": uid(),
            "result": "fail",
            "photos": [photo()],
            "signed_by": "李复查",
            "note": "仍未通风",
        }
        r = client.post(
            f"/api/v1/inspections/hazards/{hazard['id']}/reinspections",
            json=body,
            headers=auth(session, "gridworker"),
        )
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "open"
        assert cases.get_case(session, SYSTEM, case_id=hazard["case_id"]).state == "in_progress"

    def test_photos_are_required(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        hazard = self._hazard(client, session, campaign, place)
        body = {"visit_uid": uid(), "result": "pass", "photos": [], "signed_by": "李复查"}
        r = client.post(
            f"/api/v1/inspections/hazards/{hazard['id']}/reinspections",
            json=body,
            headers=auth(session, "street"),
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "photos"


class TestRepeat:
    def test_the_same_hazard_found_again_is_flagged_repeat(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        headers = auth(session, "gridworker")
        first = post_visit(client, headers, visit_body(session, campaign, place.id, fail="gas.label"))
        second = post_visit(client, headers, visit_body(session, campaign, place.id, fail="gas.label"))
        assert first.json()["hazards"][0]["is_repeat"] is False
        assert second.json()["hazards"][0]["is_repeat"] is True
        assert "repeat" in second.json()["hazards"][0]["flags"]


class TestBoardAndReport:
    def test_board_counts_the_work(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        post_visit(
            client, auth(session, "gridworker"), visit_body(session, campaign, place.id, fail="gas.hose")
        )
        r = client.get(f"/api/v1/inspections/campaigns/{campaign.id}/board", headers=auth(session, "street"))
        assert r.status_code == 200, r.text
        totals = r.json()["totals"]
        assert totals["inspected"] == 1 and totals["found"] == 1 and totals["due"] >= 1
        assert "长河排查组" in r.json()["idle_this_week"]  # the team assigned has not sent a visit this week

    def test_places_nearest_first(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        r = client.get(
            f"/api/v1/inspections/campaigns/{campaign.id}/places",
            params={"lon": place.lon, "lat": place.lat, "limit": 5},
            headers=auth(session, "gridworker"),
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert items[0]["id"] == place.id
        assert [i["distance_m"] for i in items] == sorted(i["distance_m"] for i in items)

    def test_report_xlsx_and_page(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        post_visit(
            client, auth(session, "gridworker"), visit_body(session, campaign, place.id, fail="gas.hose")
        )
        headers = auth(session, "street")
        r = client.get(f"/api/v1/inspections/campaigns/{campaign.id}/report.xlsx", headers=headers)
        assert r.status_code == 200
        book = load_workbook(io.BytesIO(r.content))
        assert book.sheetnames == ["汇总", "未整改隐患"]
        assert book["未整改隐患"].max_row == 2
        page = client.get(f"/inspections/campaigns/{campaign.id}/report", headers=headers)
        assert page.status_code == 200 and "燃气" in page.text


class TestDemo:
    def test_the_finished_campaign_and_the_running_one(self, session: Session) -> None:
        finished = session.scalar(select(Campaign).where(Campaign.code == "G20-BASE"))
        running = session.scalar(select(Campaign).where(Campaign.code == "WINTER-GAS"))
        assert finished is not None and running is not None
        rows = session.execute(
            select(Hazard.status, func.count())
            .where(Hazard.campaign_id == finished.id)
            .group_by(Hazard.status)
        ).all()
        counts = dict(rows)
        assert sum(counts.values()) == 2061
        assert counts["rectified"] > 0.9 * 2061 and 0 < counts["open"] < 0.1 * 2061
        open_cases = session.scalars(
            select(Hazard.case_id).where(Hazard.campaign_id == finished.id, Hazard.status == "open")
        ).all()
        assert all(open_cases)
        assert session.scalar(select(func.count()).where(Visit.campaign_id == running.id))


class TestHazardStats:
    def test_by_campaign_type_and_street(self, client: TestClient, session: Session) -> None:
        r = client.get("/api/v1/inspections/hazard-stats", headers=auth(session, "admin"))
        assert r.status_code == 200, r.text
        finished = session.scalar(select(Campaign.id).where(Campaign.code == "G20-BASE"))
        rows = [row for row in r.json() if row["campaign_id"] == finished]
        assert sum(row["found"] for row in rows) == 2061
        assert {row["street_code"] for row in rows} == {"330108001", "330108002", "330108003"}
        mine = client.get("/api/v1/inspections/hazard-stats", headers=auth(session, "street")).json()
        assert {row["street_code"] for row in mine} == {"330108002"}  # the street operator's scope
