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


def step(session: Session, who: str, case: Case, action: str, note: str = "", **kw: int) -> Case:
    return workflow.transition(session, actor(session, who), case_id=case.id, action=action, note=note, **kw)


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


class TestChainTab:
    def test_escalated_tab_and_reminders(self, client: TestClient, session: Session) -> None:
        case = new_case(session, title="上报区级测试")
        step(session, "street", case, "escalate", "需区级协调")
        admin = {**auth(session, "admin"), **HTML}
        page = client.get("/work", params={"chain": "escalated"}, headers=admin)
        assert page.status_code == 200
        _row(page.text, case.number)
        reminders = re.search(
            r'<section class="card" aria-labelledby="rem-title" id="reminders">.*?</section>', page.text, re.S
        )
        assert reminders is not None and case.number in reminders.group(0)
        supervised = client.get("/work", params={"chain": "supervised", "q": case.number}, headers=admin)
        _row(supervised.text, case.number)  # escalation supervises too

    def test_unknown_filters_are_422_on_the_page(self, client: TestClient, session: Session) -> None:
        headers = {**auth(session, "street"), **HTML}
        for params, name in (
            ({"state": "bogus"}, "state"),
            ({"chain": "x"}, "chain"),
            ({"colour": "red"}, "colour"),
        ):
            r = client.get("/work", params=params, headers=headers)
            assert r.status_code == 422 and 'id="filter-problem"' in r.text and name in r.text
            assert "<tr data-href=" not in r.text


class TestTimelineLabels:
    def test_every_step_is_labelled_in_both_languages(self) -> None:
        from pingan.web.i18n import catalog

        written = {*workflow.RULES, "report", "absorb", "link", "split", "rate", "open311_update"}
        written |= {f"patrol_{s}" for s in ("dispatched", "accepted", "arrived", "done", "declined")}
        for lang in ("zh", "en"):
            missing = sorted(a for a in written if f"action.{a}" not in catalog(lang))
            assert not missing, (lang, missing)

    def test_case_page_shows_labels_not_keys(self, client: TestClient, session: Session) -> None:
        kept, merged = new_case(session), new_case(session)
        step(session, "street", merged, "merge", into_case_id=kept.id)
        case = session.get(Case, kept.id)
        assert case is not None
        case.sla_color = "green"
        page = client.get(f"/work/cases/{kept.id}", headers={**auth(session, "street"), **HTML}).text
        timeline = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', page, re.S)
        assert timeline is not None
        text = timeline.group(1)
        assert "action." not in text and "合并入本案" in text and merged.number in text
        assert "待立案 → 待立案" not in text and "merged into this case" not in text
        en = client.get(
            f"/work/cases/{kept.id}",
            headers={**auth(session, "street"), **HTML},
            cookies={"pingan_lang": "en"},
        ).text
        assert "Reported → Reported" not in en and "Merged into this case" in en
