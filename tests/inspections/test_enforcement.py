"""Joint enforcement: operations, targets with their measures, the watch list of closed illegal LPG sites, and
the flag on a later inspection or case at such a site."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.cases import interface as cases
from pingan.core.clock import utcnow
from pingan.core.security import Actor
from pingan.grids import interface as places
from pingan.inspections.models import Campaign, Operation, Target
from tests.factories import auth
from tests.inspections.conftest import STREET, post_visit, uid, visit_body
from tests.web.test_pages import HTML, sign_in

P = "/api/v1/inspections"


def _operation(client: TestClient, session: Session, **over: Any) -> dict[str, Any]:
    now = utcnow()
    body = {
        "code": uid(),
        "name": "液化气联合执法",
        "departments": ["应急管理局", "城管", "市场监管", "公安"],
        "area_codes": [STREET],
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
    } | over
    r = client.post(f"{P}/operations", json=body, headers=auth(session, "street"))
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def _target(place: places.PlaceRef, **over: Any) -> dict[str, Any]:
    return {
        "target_type": "lpg_storage",
        "name": "非法储存点甲",
        "address": place.address,
        "lon": place.lon,
        "lat": place.lat,
        "findings": "民房内存放钢瓶40只",
        "cylinders_seized": 40,
        "is_closed": True,
        "fine_yuan": 20000,
        "is_referred_to_police": True,
        "follow_up": "纳入回访",
    } | over


class TestOperations:
    def test_targets_and_their_measures_are_counted(
        self, client: TestClient, session: Session, place: places.PlaceRef
    ) -> None:
        op = _operation(client, session)
        headers = auth(session, "street")
        r = client.post(f"{P}/operations/{op['id']}/targets", json=_target(place), headers=headers)
        assert r.status_code == 201, r.text
        assert places.get_place(session, r.json()["place_id"]).place_type == "illegal_lpg_site"
        warned = _target(
            place, name="流动销售点乙", is_closed=False, cylinders_seized=2, lon=place.lon + 0.01
        )
        warned |= {"fine_yuan": 0, "is_referred_to_police": False, "address": ""}
        assert (
            client.post(f"{P}/operations/{op['id']}/targets", json=warned, headers=headers).status_code == 201
        )
        totals = client.get(f"{P}/operations/{op['id']}", headers=headers).json()["totals"]
        assert totals == {
            "targets": 2, "closed": 1, "cylinders_seized": 42, "fines_yuan": 20000, "referred_to_police": 1,
        }  # fmt: skip
        watch = client.get(f"{P}/watchlist", params={"limit": 500}, headers=headers).json()
        assert r.json()["id"] in [t["id"] for t in watch["items"]]

    def test_bad_input_names_the_field(
        self, client: TestClient, session: Session, place: places.PlaceRef
    ) -> None:
        op = _operation(client, session)
        headers = auth(session, "street")
        r = client.post(
            f"{P}/operations/{op['id']}/targets", json=_target(place, target_type="x"), headers=headers
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "target_type"
        r = client.post(f"{P}/operations/2000000000/targets", json=_target(place), headers=headers)
        assert r.status_code == 404 and r.json()["error"]["field"] == "operation_id"
        far = _target(place, lon=place.lon - 0.2)  # outside the district
        before = session.scalar(select(func.count()).select_from(Target))
        r = client.post(f"{P}/operations/{op['id']}/targets", json=far, headers=headers)
        assert r.status_code == 422 and session.scalar(select(func.count()).select_from(Target)) == before


class TestWatchList:
    def test_a_later_inspection_and_case_at_a_closed_site_are_flagged(
        self, client: TestClient, session: Session, campaign: Campaign, place: places.PlaceRef
    ) -> None:
        op = _operation(client, session)
        headers = auth(session, "street")
        client.post(f"{P}/operations/{op['id']}/targets", json=_target(place), headers=headers)
        r = post_visit(
            client, auth(session, "gridworker"), visit_body(session, campaign, place.id, fail="gas.hose")
        )
        assert r.status_code == 201, r.text
        assert r.json()["flags"] == ["previously_closed_lpg_site"]
        hazard = r.json()["hazards"][0]
        assert "previously_closed_lpg_site" in hazard["flags"]
        case = cases.get_case(session, Actor.system("t"), case_id=hazard["case_id"])
        assert "曾取缔非法液化气点" in case.description
        sign_in(client, "street")
        page = client.get(f"/work/cases/{case.id}", headers=HTML)
        assert page.status_code == 200 and 'id="lpg-watch"' in page.text


class TestDemoOperation:
    def test_the_joint_operation_closed_23_sites(self, session: Session) -> None:
        op = session.scalar(select(Operation).where(Operation.code == "LPG-JOINT"))
        assert op is not None and len(op.departments) >= 4
        closed = session.scalar(
            select(func.count()).where(Target.operation_id == op.id, Target.is_closed.is_(True))
        )
        assert closed == 23

    def test_the_operations_page(self, client: TestClient) -> None:
        sign_in(client, "admin")
        r = client.get("/inspections/operations", headers=HTML)
        assert r.status_code == 200 and 'data-key="closed">23<' in r.text


class TestTargetForm:
    def _post(self, client: TestClient, op_id: int, place: places.PlaceRef, **over: str) -> Any:
        from tests.web.test_pages import csrf

        data = {
            "csrf_token": csrf(client),
            "target_type": "lpg_sale",
            "name": "表单非法销售点",
            "address": "",
            "lon": str(place.lon),
            "lat": str(place.lat),
            "findings": "无证销售瓶装液化气",
            "cylinders_seized": "12",
            "is_closed": "on",
            "follow_up": "回访",
        } | over
        return client.post(
            f"/inspections/operations/{op_id}/targets", data=data, headers=HTML, follow_redirects=False
        )

    def test_a_manager_records_a_target_on_the_operations_page(
        self, client: TestClient, session: Session, place: places.PlaceRef
    ) -> None:
        op = session.scalar(select(Operation).where(Operation.code == "LPG-JOINT"))
        assert op is not None
        before = session.scalar(select(func.count()).select_from(Target))
        sign_in(client, "street")
        r = self._post(client, op.id, place, findings="")
        assert r.status_code == 422 and "findings" in r.text
        assert session.scalar(select(func.count()).select_from(Target)) == before
        r = self._post(client, op.id, place)
        assert r.status_code == 303, r.text
        added = session.scalar(select(Target).where(Target.name == "表单非法销售点"))
        assert added is not None and added.is_closed and added.cylinders_seized == 12
