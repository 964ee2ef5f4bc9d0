"""Grid + party building (网格+党建): branches of communities and grids, members, coverage, scope, pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.core.security import Actor
from pingan.grids import party, staff, visits
from pingan.grids.models import PartyBranch, PartyMember, StaffLink
from tests.factories import actor, auth

SYSTEM = Actor.system("test")
B = "/api/v1/party-branches"


def _community(grid: str) -> str:
    return grid[:12]


def _demo_branches(session: Session, admin: Actor) -> list[PartyBranch]:
    """The demo's branches (the CLI test commits one of its own to the shared test database)."""
    return [b for b in session.scalars(party.branches_query(session, admin)) if b.created_by == "demo"]


class TestDemoBranches:
    def test_every_community_has_a_branch_with_a_secretary_and_members(
        self, session: Session, admin: Actor
    ) -> None:
        communities = areas.list_areas(session, level=AreaLevel.COMMUNITY)
        branches = _demo_branches(session, admin)
        assert {c.code for c in communities if areas.list_areas(session, parent_code=c.code)} <= {
            b.area_code for b in branches
        }
        rows = party.summaries(session, admin, branches)
        assert all(r["secretary"] and r["members"] >= 1 for r in rows)
        split = [r for r in rows if not r["whole_community"]]
        assert split and all(r["grids"] for r in split)  # some branches cover specific grids only
        kinds = {k for r in rows for k in r["members_by_kind"]}
        assert {"liaison_cadre", "grid_leader", "account"} <= kinds  # cadres, staff and the volunteer

    def test_every_grid_is_covered_once(self, session: Session, admin: Actor) -> None:
        branches = [
            b for b in session.scalars(party.branches_query(session, admin)) if b.created_by == "demo"
        ]
        covered = [g for gs in party.covered_grids(session, branches).values() for g in gs]
        assert len(covered) == len(set(covered)) == len(areas.list_areas(session, level=AreaLevel.GRID))


class TestCreateBranch:
    def test_a_branch_of_some_grids_and_its_coverage(
        self, session: Session, admin: Actor, grid_a: str
    ) -> None:
        branch = party.create_branch(
            session, admin, name="测试党支部", area_code=_community(grid_a), grid_codes=[grid_a]
        )
        detail = party.branch_detail(session, admin, branch.id)
        own = next(r for r in visits.grid_coverage(session, admin) if r["area_code"] == grid_a)
        assert [g["area_code"] for g in detail["grids"]] == [grid_a]
        assert detail["households"] == own["households"] and detail["visited"] == own["visited"]
        assert [r["area_code"] for r in detail["coverage"]] == [grid_a]

    def test_a_grid_of_another_community_is_refused(
        self, session: Session, admin: Actor, grid_a: str, grid_b: str
    ) -> None:
        with pytest.raises(ValidationFailed) as err:
            party.create_branch(session, admin, name="x", area_code=_community(grid_a), grid_codes=[grid_b])
        assert err.value.field == "grid_codes"

    def test_a_branch_belongs_to_a_community(self, session: Session, admin: Actor, grid_a: str) -> None:
        with pytest.raises(ValidationFailed) as err:
            party.create_branch(session, admin, name="x", area_code=grid_a)
        assert err.value.field == "area_code"

    def test_grid_workers_and_other_streets_may_not(
        self, session: Session, gridworker: Actor, grid_a: str, grid_b: str
    ) -> None:
        with pytest.raises(Forbidden):
            party.create_branch(session, gridworker, name="x", area_code=_community(grid_a))
        street = actor(session, "street")
        if not grid_b.startswith(street.grants[0].area_code):
            with pytest.raises(NotFound):
                party.create_branch(session, street, name="x", area_code=_community(grid_b))


class TestMembers:
    def test_staff_and_accounts_are_members_and_one_secretary(
        self, session: Session, admin: Actor, grid_a: str
    ) -> None:
        branch = party.create_branch(session, admin, name="成员测试", area_code=_community(grid_a))
        worker, cadre = (
            session.scalar(
                select(StaffLink.staff_id).where(StaffLink.area_code == grid_a, StaffLink.role == r)
            )
            for r in ("full_time", "liaison_cadre")
        )
        party.add_member(session, admin, branch_id=branch.id, staff_id=worker, role="secretary")
        party.add_member(session, admin, branch_id=branch.id, staff_id=cadre)
        volunteer = actor(session, "volunteer").account_id
        party.add_member(session, admin, branch_id=branch.id, account_id=volunteer)
        with pytest.raises(Conflict):
            party.add_member(session, admin, branch_id=branch.id, staff_id=cadre)
        with pytest.raises(Conflict) as err:
            other = session.scalar(
                select(StaffLink.staff_id).where(
                    StaffLink.area_code == grid_a, StaffLink.role == "grid_leader"
                )
            )
            party.add_member(session, admin, branch_id=branch.id, staff_id=other, role="secretary")
        assert err.value.field == "role"
        with pytest.raises(ValidationFailed):
            party.add_member(session, admin, branch_id=branch.id, staff_id=worker, account_id=volunteer)
        detail = party.branch_detail(session, admin, branch.id)
        assert detail["members"] == 3 and detail["secretary"] == staff.get_staff(session, admin, worker).name  # type: ignore[arg-type]
        assert [m["kind"] for m in detail["member_list"]][0] == "full_time"

    def test_remove_a_member(self, session: Session, admin: Actor, grid_a: str) -> None:
        branch = party.create_branch(session, admin, name="移除测试", area_code=_community(grid_a))
        sid = session.scalar(select(StaffLink.staff_id).where(StaffLink.area_code == grid_a))
        m = party.add_member(session, admin, branch_id=branch.id, staff_id=sid)
        party.remove_member(session, admin, branch_id=branch.id, member_id=m.id)
        assert (
            session.scalar(
                select(func.count()).select_from(PartyMember).where(PartyMember.branch_id == branch.id)
            )
            == 0
        )


class TestScope:
    def test_a_grid_worker_sees_the_branch_of_their_community_only(
        self, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        mine = list(session.scalars(party.branches_query(session, gridworker)))
        assert mine and all(grid_a.startswith(b.area_code) for b in mine)
        other = session.scalar(
            select(PartyBranch).where(~PartyBranch.area_code.startswith(_community(grid_a)))
        )
        assert other is not None
        with pytest.raises(NotFound):
            party.get_branch(session, gridworker, other.id)


class TestApi:
    def test_list_detail_and_members(self, client: TestClient, session: Session, grid_a: str) -> None:
        h = auth(session, "gridworker")
        listed = client.get(B, headers=h)
        assert listed.status_code == 200 and listed.json()
        first = listed.json()[0]
        assert {"secretary", "members", "grids", "households", "visited", "share"} <= set(first)
        detail = client.get(f"{B}/{first['id']}", headers=h).json()
        assert detail["member_list"] and all("phone" not in m for m in detail["member_list"])
        street = auth(session, "street")
        made = client.post(B, headers=street, json={"name": "接口支部", "area_code": _community(grid_a)})
        assert made.status_code == 201 and made.json()["whole_community"] is True
        bad = client.post(B, headers=street, json={"name": "", "area_code": _community(grid_a)})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "name"
        sid = session.scalar(select(StaffLink.staff_id).where(StaffLink.area_code == grid_a))
        added = client.post(
            f"{B}/{made.json()['id']}/members", headers=street, json={"staff_id": sid, "role": "x"}
        )
        assert added.status_code == 422 and added.json()["error"]["field"] == "role"


class TestPages:
    def test_branch_list_and_page_with_coverage(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        h = auth(session, "admin")
        r = client.get(f"/grids/party?community={_community(grid_a)}", headers=h)
        assert r.status_code == 200 and 'id="party-branches"' in r.text
        branch = session.scalar(select(PartyBranch).where(PartyBranch.area_code == _community(grid_a)))
        assert branch is not None and branch.name in r.text
        page = client.get(f"/grids/party/{branch.id}", headers=h)
        assert (
            page.status_code == 200
            and 'id="branch-grids"' in page.text
            and 'id="branch-members"' in page.text
        )
        assert "书记" in page.text

    def test_street_staff_create_a_branch_and_record_a_member(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        h = auth(session, "street")
        made = client.post(
            "/grids/party",
            headers=h,
            data={"name": "页面党支部", "area_code": _community(grid_a)},
            follow_redirects=False,
        )
        assert made.status_code == 303
        path = made.headers["location"].split("?")[0]
        form = client.get(path, headers=h).text
        assert 'id="am-staff"' in form
        sid = session.scalar(select(StaffLink.staff_id).where(StaffLink.area_code == grid_a))
        added = client.post(
            f"{path}/members", headers=h, data={"staff_id": sid, "role": "secretary"}, follow_redirects=False
        )
        assert added.status_code == 303
        assert "书记" in client.get(added.headers["location"], headers=h).text

    def test_a_resident_is_refused(self, client: TestClient, session: Session) -> None:
        assert client.get("/grids/party", headers=auth(session, "resident")).status_code == 403

    def test_a_bad_form_is_a_message_in_the_pages_language(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        h = auth(session, "street")
        before = session.scalar(select(func.count()).select_from(PartyBranch))
        r = client.post("/grids/party", headers=h, data={"name": " ", "area_code": _community(grid_a)})
        assert r.status_code == 200 and "未保存：请填写支部名称" in r.text
        assert session.scalar(select(func.count()).select_from(PartyBranch)) == before
