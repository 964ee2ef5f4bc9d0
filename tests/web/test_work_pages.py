"""The workbench pages through the app (no browser): one time-limit status, the 上报/督办 queue, a
handler's queue, timeline labels, the resident's rating on the case page."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.cases import service, workflow
from pingan.cases.models import Case
from pingan.core.clock import utcnow
from pingan.core.security import Actor
from tests.cases.helpers import point_in
from tests.factories import actor, auth

HTML = {"accept": "text/html"}
SYSTEM = Actor.system("test")


def new_case(session: Session, code: str = "0102", title: str | None = None) -> Case:
    lon, lat = point_in(session)
    return service.raise_case(
        session, SYSTEM, category_code=code, description="x", source="app", lon=lon, lat=lat, title=title
    )


def step(session: Session, who: str, case: Case, action: str, note: str = "") -> Case:
    return workflow.transition(session, actor(session, who), case_id=case.id, action=action, note=note)


def _row(page: str, number: str) -> str:
    match = re.search(r"<tr data-href=[^>]*>(?:(?!</tr>).)*" + number + r"(?:(?!</tr>).)*</tr>", page, re.S)
    assert match is not None, f"{number} not in the queue"
    return match.group(0)


class TestOneStatus:
    def test_queue_case_page_and_api_show_the_same_status(self, client: TestClient, session: Session) -> None:
        """The stored colour said 正常 while the deadline had passed 5 h 10 min ago: every place now shows the
        status computed at the moment (sla.status_of), colour and words agreeing."""
        case = new_case(session, "0401", title="状态一致测试")
        step(session, "street", case, "register")
        step(session, "street", case, "dispatch")
        case.stage_due_at = utcnow() - timedelta(hours=5, minutes=10, seconds=20)
        case.close_due_at = utcnow() + timedelta(days=2)
        case.sla_color = "green"  # what the SLA job wrote before the deadline passed
        session.flush()
        headers = {**auth(session, "street"), **HTML}
        row = _row(client.get("/work", params={"q": case.number}, headers=headers).text, case.number)
        assert "sla-red" in row and "sla-green" not in row
        assert "已超时5小时10分" in row
        page = client.get(f"/work/cases/{case.id}", headers=headers).text
        head = re.search(r'<span id="case-sla" data-color="(\w+)">(.*?)</span>\s*</span>', page, re.S)
        assert head is not None and head.group(1) == "red" and "已超时5小时10分" in head.group(2)
        body = client.get(f"/api/v1/cases/{case.id}", headers=auth(session, "street")).json()
        assert body["sla_color"] == "red" and body["sla"]["is_overdue"] is True
        assert body["sla"]["due_kind"] == "stage" and -18700 < body["sla"]["seconds_left"] <= -18600
        listed = client.get("/api/v1/cases", params={"q": case.number}, headers=auth(session, "street"))
        item = listed.json()["items"][0]
        assert item["sla_color"] == "red" and item["sla"]["due_at"] == body["sla"]["due_at"]
