"""One shape for the API (issue 15): every paged list takes ``limit``/``offset`` with the same bounds (422
naming the field) and answers ``{items, total, limit, offset}``; every JSON route under /api/v1 declares its
answer's schema in the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.core.pagination import MAX_LIMIT
from tests.factories import auth

# (path, who): paged lists of different packages (cases, grids, patrols, accounts, audit)
LISTS = [
    ("/api/v1/cases", "admin"),
    ("/api/v1/grids/households", "admin"),
    ("/api/v1/grids/residents", "admin"),
    ("/api/v1/patrols/volunteers", "admin"),
    ("/api/v1/accounts", "admin"),
    ("/api/v1/audit", "auditor"),
]
ENVELOPE = {"items", "total", "limit", "offset"}


@pytest.mark.parametrize(("path", "who"), LISTS)
class TestListWindow:
    def test_envelope_echoes_the_window(
        self, client: TestClient, session: Session, path: str, who: str
    ) -> None:
        r = client.get(path, params={"limit": 2, "offset": 1}, headers=auth(session, who))
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == ENVELOPE
        assert (body["limit"], body["offset"]) == (2, 1)
        assert len(body["items"]) <= 2 and body["total"] >= len(body["items"])

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"limit": 0}, "limit"),
            ({"limit": MAX_LIMIT + 1}, "limit"),
            ({"limit": "many"}, "limit"),
            ({"offset": -1}, "offset"),
            ({"offset": str(2**63)}, "offset"),
        ],
    )
    def test_out_of_bounds_names_the_field(
        self, client: TestClient, session: Session, path: str, who: str, params: dict[str, Any], field: str
    ) -> None:
        r = client.get(path, params=params, headers=auth(session, who))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == field


class TestCasesPages:
    def test_the_window_moves_through_the_list(self, client: TestClient, session: Session) -> None:
        admin = auth(session, "admin")
        first = client.get("/api/v1/cases", params={"limit": 3}, headers=admin).json()
        second = client.get("/api/v1/cases", params={"limit": 3, "offset": 2}, headers=admin).json()
        assert first["total"] == second["total"] >= 5
        assert first["items"][2]["id"] == second["items"][0]["id"]

    def test_former_page_parameters_are_refused(self, client: TestClient, session: Session) -> None:
        r = client.get("/api/v1/cases", params={"page_size": 5}, headers=auth(session, "admin"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "page_size"

    def test_search_body_takes_the_same_window(self, client: TestClient, session: Session) -> None:
        admin = auth(session, "admin")
        r = client.post("/api/v1/cases/search", json={"limit": 1, "offset": 4}, headers=admin)
        assert r.status_code == 200 and set(r.json()) == ENVELOPE and r.json()["offset"] == 4
        r = client.post("/api/v1/cases/search", json={"limit": MAX_LIMIT + 1}, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["field"].endswith("limit")


# Not JSON APIs of ours: the OsmAnd/Traccar protocol (its own answers) lives under /api/v1/patrols/osmand.
PROTOCOLS = ("/api/v1/patrols/osmand",)


def _described(schema: dict[str, Any]) -> bool:
    """Whether a JSON schema says what the answer holds (not an empty schema or an anything-goes object)."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _described(schema.get("items", {}))
    if schema.get("anyOf"):
        return all(_described(s) or s.get("type") == "null" for s in schema["anyOf"])
    if isinstance(schema.get("additionalProperties"), dict):  # a map, e.g. field → value
        return True
    return bool(schema.get("properties")) or schema.get("type") in ("string", "integer", "number", "boolean")


def _undescribed(doc: dict[str, Any]) -> set[tuple[str, str]]:
    found = set()
    for path, operations in doc["paths"].items():
        if not path.startswith("/api/v1/") or path.startswith(PROTOCOLS):
            continue
        for method, operation in operations.items():
            for code, answer in operation["responses"].items():
                if not code.startswith("2") or code == "204":
                    continue
                content = answer.get("content")
                if not content:
                    found.add((method, path))
                elif "application/json" in content and not _described(
                    content["application/json"].get("schema", {})
                ):
                    found.add((method, path))
    return found


class TestOpenApiDeclaresAnswers:
    def test_every_json_route_declares_its_answer(self, client: TestClient) -> None:
        undescribed = _undescribed(client.get("/openapi.json").json())
        assert undescribed == set(), "declare a response_model on these routes"

    def test_every_cases_route_declares_its_answer(self, client: TestClient) -> None:
        undescribed = _undescribed(client.get("/openapi.json").json())
        cases = {(m, p) for m, p in undescribed if "/case" in p or p.startswith("/api/v1/public/cases")}
        assert cases == set()

    def test_list_envelope_is_one_schema(self, client: TestClient) -> None:
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
        for name in ("CasePage", "VolunteerPage", "AccountPage", "AuditRecordPage"):
            assert set(schemas[name]["properties"]) == ENVELOPE, name
            assert schemas[name]["properties"]["limit"]["maximum"] == MAX_LIMIT


class TestDeclaredModelsKeepTheAnswers:
    """A declared model neither drops what the answer carried nor adds keys it did not have."""

    def test_case_detail_keeps_masks_and_parts(self, client: TestClient, session: Session) -> None:
        admin = auth(session, "admin")
        case = client.get("/api/v1/cases", params={"limit": 1}, headers=admin).json()["items"][0]
        body = client.get(f"/api/v1/cases/{case['id']}", headers=admin).json()
        assert {"reporter_name_masked", "reporter_phone_masked", "sla", "timeline", "allowed_actions"} <= set(
            body
        )
        assert not {"reporter_phone", "reporter_name", "reporter_phone_enc", "tracking_digest"} & set(body)

    def test_kpi_groups_carry_names_only_when_grouped_by_category(
        self, client: TestClient, session: Session
    ) -> None:
        admin = auth(session, "admin")
        total = client.get("/api/v1/case-kpis", params={"group_by": "total"}, headers=admin).json()
        assert set(total) == {"group_by", "from", "to", "groups"}
        assert "name_zh" not in total["groups"][0]
        major = client.get("/api/v1/case-kpis", params={"group_by": "major"}, headers=admin).json()
        assert major["groups"][0]["name_zh"]

    def test_calendar_days_keep_their_own_keys(self, client: TestClient, session: Session) -> None:
        days = client.get(
            "/api/v1/cases/calendar", params={"year": 2026}, headers=auth(session, "admin")
        ).json()
        official = next(d for d in days["days"] if d["source"] == "official")
        assert set(official) == {"date", "is_workday", "note", "source"}

    def test_geojson_labels_only_when_asked(self, client: TestClient) -> None:
        plain = client.get("/api/v1/areas/geojson", params={"level": "community"}).json()
        labelled = client.get("/api/v1/areas/geojson", params={"level": "community", "labels": True}).json()
        assert plain["type"] == "FeatureCollection" and plain["features"]
        feature = plain["features"][0]
        assert set(feature) == {"type", "id", "properties", "geometry"}
        assert "label" not in feature["properties"]
        assert len(labelled["features"][0]["properties"]["label"]) == 2

    def test_task_board_counts_items_only_for_a_population_check(
        self, client: TestClient, session: Session
    ) -> None:
        admin = auth(session, "admin")
        kinds = {}
        for task in client.get("/api/v1/grids/tasks", params={"limit": 50}, headers=admin).json()["items"]:
            kinds.setdefault(task["kind"] == "population_check", task["id"])
        assert set(kinds) == {True, False}
        for is_check, task_id in kinds.items():
            board = client.get(f"/api/v1/grids/tasks/{task_id}", headers=admin).json()
            assert ("items" in board["summary"]) is is_check
            assert all(("discrepancies" in row) is is_check for row in board["grids"])

    def test_activity_totals_name_teams_only(self, client: TestClient, session: Session) -> None:
        admin = auth(session, "admin")
        teams = client.get("/api/v1/patrols/stats/activities", params={"group_by": "team"}, headers=admin)
        streets = client.get("/api/v1/patrols/stats/activities", params={"group_by": "street"}, headers=admin)
        assert set(teams.json()[0]) == {"key", "turnouts", "hours", "name"}
        assert set(streets.json()[0]) == {"key", "turnouts", "hours"}

    def test_me_of_an_account_that_is_no_volunteer(self, client: TestClient, session: Session) -> None:
        assert client.get("/api/v1/patrols/me", headers=auth(session, "admin")).json() == {"volunteer": None}
        own = client.get("/api/v1/patrols/me", headers=auth(session, "volunteer")).json()
        assert set(own) == {"volunteer", "bookings", "dispatches"} and "device_key" in own["volunteer"]
