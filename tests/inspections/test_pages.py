"""The module's pages: the phone checklist for inspectors, the board and the printable report for the command
centre, in Chinese by default and in English by the switch; others are refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.inspections.models import Campaign
from tests.web.test_pages import HTML, sign_in


def _finished(session: Session) -> int:
    found = session.scalar(select(Campaign.id).where(Campaign.code == "G20-BASE"))
    assert found is not None
    return found


class TestPages:
    def test_the_inspector_gets_the_phone_checklist(self, client: TestClient) -> None:
        sign_in(client, "gridworker")
        r = client.get("/inspections/check", headers=HTML)
        assert r.status_code == 200 and "隐患排查" in r.text and "冬季瓶装燃气安全专项排查" in r.text
        assert client.get("/inspections/static/check.js").status_code == 200

    def test_the_board_and_the_report(self, client: TestClient, session: Session) -> None:
        sign_in(client, "admin")
        board = client.get("/inspections", params={"campaign": _finished(session)}, headers=HTML)
        assert board.status_code == 200 and "排查进度" in board.text and "2061" in board.text
        report = client.get(f"/inspections/campaigns/{_finished(session)}/report", headers=HTML)
        assert report.status_code == 200 and 'data-key="found">2061<' in report.text

    def test_in_english(self, client: TestClient, session: Session) -> None:
        sign_in(client, "admin")
        client.cookies.set("pingan_lang", "en")
        report = client.get(f"/inspections/campaigns/{_finished(session)}/report", headers=HTML)
        assert (
            "Campaign report" in report.text
            and "Hazards found" in report.text
            and "排查报告" not in report.text
        )

    def test_others_are_refused(self, client: TestClient, session: Session) -> None:
        sign_in(client, "gridworker")
        assert client.get("/inspections", headers=HTML).status_code == 403
        assert (
            client.get(f"/inspections/campaigns/{_finished(session)}/report", headers=HTML).status_code == 403
        )
        client.cookies.clear()
        sign_in(client, "volunteer")
        assert client.get("/inspections/check", headers=HTML).status_code == 403

    def test_an_unknown_campaign_is_404(self, client: TestClient) -> None:
        sign_in(client, "admin")
        assert client.get("/inspections/campaigns/2000000000/report", headers=HTML).status_code == 404
        assert client.get("/inspections/campaigns/0/report", headers=HTML).status_code in (404, 422)


class TestStrings:
    def test_both_languages_hold_every_key_the_pages_and_the_script_use(self) -> None:
        import re
        from pathlib import Path

        from pingan.inspections import pages

        assert set(pages.STRINGS["zh"]) == set(pages.STRINGS["en"])
        folder = Path(pages.__file__).parent
        used = set(re.findall(r"\bT\.([a-z_]+)", (folder / "static" / "check.js").read_text()))
        for template in (folder / "templates").glob("*.html"):
            used |= set(re.findall(r"\bt\.([a-z_]+)\b(?!\()", template.read_text())) - {"id"}
        used -= {"starts_at", "ends_at", "case_panel"}
        assert used <= set(pages.STRINGS["zh"]), used - set(pages.STRINGS["zh"])


class TestCampaignForm:
    def _post(self, client: TestClient, **over: object) -> object:
        from tests.web.test_pages import csrf

        data = {
            "csrf_token": csrf(client),
            "code": "FORM-1",
            "name": "消防专项排查",
            "area_codes": ["330108002"],
            "place_types": ["rental_building", "three_in_one"],
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
            "teams": "长河一组，长河二组",
            "severity_threshold": "major",
        } | over
        return client.post("/inspections/campaigns", data=data, headers=HTML, follow_redirects=False)

    def test_a_manager_starts_a_campaign_from_the_board(self, client: TestClient, session: Session) -> None:
        sign_in(client, "street")
        r = self._post(client)
        assert r.status_code == 303, r.text  # type: ignore[attr-defined]
        created = session.scalar(select(Campaign).where(Campaign.code == "FORM-1"))
        assert created is not None and created.teams == ["长河一组", "长河二组"]
        assert set(created.checklist_ids) == {"rental_building", "three_in_one"}
        assert created.starts_at.isoformat().startswith("2026-11-30T16:00")  # Shanghai midnight, in UTC

    def test_bad_input_is_shown_next_to_the_form_and_nothing_is_written(
        self, client: TestClient, session: Session
    ) -> None:
        sign_in(client, "street")
        r = self._post(client, code="FORM-2", ends_on="someday")
        assert r.status_code == 422 and "ends_on" in r.text  # type: ignore[attr-defined]
        r = self._post(client, code="FORM-3", area_codes=["330108001"])  # 西兴: outside the street's scope
        assert r.status_code == 404  # type: ignore[attr-defined]
        assert session.scalar(select(Campaign).where(Campaign.code.in_(["FORM-2", "FORM-3"]))) is None
