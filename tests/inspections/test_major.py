"""Major-event operations (平安护航): the figures mechanism (one module reading another's figures by name),
the API, the demo's G20 operation and its board page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.clock import utcnow
from pingan.core.config import SESSION_KEY, Settings
from pingan.core.errors import PinganError
from pingan.core.figures import FigureUnavailable, figure, read_figure
from pingan.core.security import Actor
from pingan.inspections import major
from pingan.inspections.models import Campaign, MajorOperation, Operation
from tests.factories import actor, auth
from tests.inspections.conftest import STREET, uid
from tests.web.test_pages import HTML, sign_in

P = "/api/v1/inspections/major-operations"


def _g20(session: Session) -> MajorOperation:
    found = session.scalar(select(MajorOperation).where(MajorOperation.code == "G20"))
    assert found is not None
    return found


def _body(session: Session, **over: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "code": uid(),
        "name": "测试护航",
        "area_codes": [STREET],
        "starts_at": (now - timedelta(days=3)).isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
        "target_turnouts": 100,
        "target_hours": 400,
        "target_key_places_per_day": 5,
        "case_categories": ["0810"],
    } | over


class TestFigures:
    def test_a_figure_is_found_among_the_enabled_modules(self, session: Session) -> None:
        declared, provider = figure("patrols.turnouts", None)
        assert declared.title_en == "Patrol turn-outs" and callable(provider)
        now = utcnow()
        n = read_figure(
            session, Actor.system("t"), "patrols.turnouts", start=now - timedelta(days=4), end=now
        )
        assert isinstance(n, int) and n > 0  # the demo's week of shifts

    def test_a_figure_of_a_module_not_enabled_is_unavailable_naming_it(self) -> None:
        with pytest.raises(FigureUnavailable) as caught:
            figure("patrols.hours", "grids,inspections")
        assert "patrols.hours" in str(caught.value) and "patrols" in str(caught.value)
        with pytest.raises(FigureUnavailable):
            figure("nosuch.figure", None)

    def test_the_board_says_unavailable_when_patrols_is_off(
        self, session: Session, settings: Settings
    ) -> None:
        item = _g20(session)
        before = session.info.get(SESSION_KEY)
        session.info[SESSION_KEY] = settings.model_copy(update={"modules": "grids,inspections"})
        try:
            board = major.board(session, actor(session, "admin"), item)
        finally:
            if before is None:
                session.info.pop(SESSION_KEY, None)
            else:
                session.info[SESSION_KEY] = before
        patrol = {t["key"]: t for t in board["targets"]}
        assert patrol["patrols.turnouts"]["available"] is False
        assert patrol["patrols.turnouts"]["actual"] is None
        assert "patrols.turnouts" in patrol["patrols.turnouts"]["reason"]
        assert patrol["inspections.key_places_per_day"]["available"] is True


class TestDemo:
    def test_the_g20_operation_reproduces_the_seed(self, session: Session) -> None:
        item = _g20(session)
        board = major.board(session, actor(session, "admin"), item)
        got = {t["key"]: t for t in board["targets"]}
        assert got["patrols.turnouts"]["actual"] >= 150_000  # seed-facts: 150,000+ turn-outs
        assert got["patrols.hours"]["actual"] >= 600_000  # and 600,000 patrol hours
        assert got["patrols.turnouts"]["share"] >= 1
        assert [c["code"] for c in board["campaigns"]] == ["G20-BASE"]
        assert [o["code"] for o in board["operations"]] == ["LPG-JOINT"]
        assert board["operations"][0]["totals"]["closed"] >= 23


class TestApi:
    def test_create_list_and_read(self, client: TestClient, session: Session) -> None:
        headers = auth(session, "street")
        campaign = session.scalar(select(Campaign.id).where(Campaign.code == "WINTER-GAS"))
        r = client.post(P, json=_body(session, campaign_ids=[campaign]), headers=headers)
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["board"]["targets"][0]["key"] == "patrols.turnouts"
        assert made["board"]["targets"][0]["available"] is True
        listed = client.get(P, params={"limit": 100}, headers=headers).json()
        assert made["id"] in [x["id"] for x in listed["items"]] and listed["total"] >= 1
        one = client.get(f"{P}/{made['id']}", headers=headers)
        assert one.status_code == 200 and one.json()["campaign_ids"] == [campaign]

    @pytest.mark.parametrize(
        ("over", "field"),
        [
            ({"target_turnouts": -1}, "target_turnouts"),
            ({"ends_at": (utcnow() - timedelta(days=30)).isoformat()}, "ends_at"),
            ({"campaign_ids": [1_999_999_999]}, "campaign_ids"),
            ({"operation_ids": [1_999_999_999]}, "operation_ids"),
            ({"case_categories": ["gas"]}, "case_categories"),
            ({"area_codes": []}, "area_codes"),
        ],
    )
    def test_bad_input_names_the_field_and_writes_nothing(
        self, client: TestClient, session: Session, over: dict[str, Any], field: str
    ) -> None:
        before = session.scalar(select(func.count()).select_from(MajorOperation))
        r = client.post(P, json=_body(session, **over), headers=auth(session, "street"))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"].startswith(field)
        assert session.scalar(select(func.count()).select_from(MajorOperation)) == before

    def test_outside_the_scope_is_refused_and_unknown_is_404(
        self, client: TestClient, session: Session
    ) -> None:
        r = client.post(P, json=_body(session, area_codes=["330108001"]), headers=auth(session, "street"))
        assert 400 <= r.status_code < 500
        r = client.get(f"{P}/2000000000", headers=auth(session, "street"))
        assert r.status_code == 404 and r.json()["error"]["field"] == "major_id"

    def test_an_operation_of_another_street_cannot_be_linked(
        self, client: TestClient, session: Session
    ) -> None:
        lpg = session.scalar(select(Operation.id).where(Operation.code == "LPG-JOINT"))
        assert lpg is not None
        r = client.post(P, json=_body(session, operation_ids=[lpg]), headers=auth(session, "gridworker"))
        assert r.status_code in (403, 422)


class TestPage:
    def test_the_board_page_in_chinese_and_english(self, client: TestClient, session: Session) -> None:
        item = _g20(session)
        sign_in(client, "admin")
        r = client.get(f"/inspections/major/{item.id}", headers=HTML)
        assert r.status_code == 200 and "平安护航" in r.text and "<progress" in r.text
        assert "G20杭州峰会平安护航" in r.text and 'href="/wall"' in r.text
        client.cookies.set("pingan_lang", "en")
        r = client.get(f"/inspections/major/{item.id}", headers=HTML)
        assert r.status_code == 200 and "Patrol turn-outs" in r.text
        assert client.get("/inspections/major/2000000000", headers=HTML).status_code == 404
        ops = client.get("/inspections/operations", headers=HTML)
        assert ops.status_code == 200 and f'href="/inspections/major/{item.id}"' in ops.text

    def test_a_module_error_never_500s(self, session: Session) -> None:
        with pytest.raises(PinganError):
            major.get(session, actor(session, "admin"), 2_000_000_000)


def test_a_patrol_figure_over_nested_areas_counts_nothing_twice() -> None:
    assert major._outermost(["330108002", "330108", "330108002"]) == ["330108"]
    assert major._outermost(["330108002", "330108001"]) == ["330108002", "330108001"]


def test_the_g20_period_is_the_patrols_demos_summit() -> None:
    from pingan.demo import patrols as patrol_demo
    from pingan.inspections import demo as inspection_demo

    assert inspection_demo.SUMMIT_BACK_DAYS == patrol_demo.SUMMIT_BACK_DAYS
    assert inspection_demo.SUMMIT_DAYS == patrol_demo.SUMMIT_DAYS
    assert patrol_demo.SUMMIT_DAYS * patrol_demo.SUMMIT_PER_DAY >= 150_000
