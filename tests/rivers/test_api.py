"""/api/v1/rivers: registers, readings in (batch and NGSI-LD) by a machine client, readings and refusals out,
422 naming the field, scope."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import auth
from tests.rivers.conftest import Made

P = "/api/v1/rivers"


def _batch(code: str, at: datetime, **values: float) -> dict:
    return {
        "readings": [
            {"station": code, "parameter": p, "value": v, "observed_at": at.isoformat()}
            for p, v in values.items()
        ]
    }


class TestRegisters:
    def test_add_a_river_segment_chiefs_and_station(
        self, client: TestClient, session: Session, grid: str
    ) -> None:
        h = auth(session, "admin")
        r = client.post(P, json={"code": "API-R1", "name": "接口河", "area_code": grid}, headers=h)
        assert r.status_code == 201, r.text
        river = r.json()
        line = [[120.2, 30.2], [120.21, 30.201]]
        r = client.post(
            P + "/segments",
            json={"river_id": river["id"], "code": "API-G1", "name": "一段", "area_code": grid, "line": line,
                  "target_class": "IV"},
            headers=h,
        )  # fmt: skip
        assert r.status_code == 201 and r.json()["target_class"] == "IV", r.text
        segment = r.json()
        for level in ("community", "district", "street"):
            r = client.put(
                f"{P}/segments/{segment['id']}/chiefs/{level}", json={"name": f"{level}长"}, headers=h
            )
            assert r.status_code == 200, r.text
        chiefs = client.get(f"{P}/segments/{segment['id']}/chiefs", headers=h).json()
        assert [c["level"] for c in chiefs] == ["district", "street", "community"]
        r = client.post(
            P + "/stations",
            json={"segment_id": segment["id"], "code": "API-S1", "name": "接口站", "lon": 120.205,
                  "lat": 30.2, "parameters": ["DO", "NH3N"]},
            headers=h,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        station = r.json()
        assert station["target_class"] == "IV" and station["current_class"] is None
        page = client.get(P + "/stations", params={"segment_id": segment["id"]}, headers=h).json()
        assert page["total"] == 1 and page["items"][0]["code"] == "API-S1"
        assert (
            client.get(P, params={"limit": 500}, headers=h).json()["total"] >= 7
        )  # the demo's 6 and this one

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"code": "bad code", "name": "x", "area_code": "330108"}, "code"),
            ({"code": "OK1", "name": "", "area_code": "330108"}, "name"),
            ({"code": "OK1", "name": "x", "area_code": "999999"}, "area_code"),
            ({"code": "OK1", "name": "x"}, "area_code"),
        ],
    )
    def test_bad_river_input_names_the_field(
        self, client: TestClient, session: Session, body: dict, field: str
    ) -> None:
        r = client.post(P, json=body, headers=auth(session, "admin"))
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text

    def test_bad_target_class(self, client: TestClient, session: Session, made: Made) -> None:
        r = client.post(
            P + "/segments",
            json={"river_id": 1, "code": "X1", "name": "x", "area_code": made.grid,
                  "line": [[120, 30], [120.1, 30]], "target_class": "VII"},
            headers=auth(session, "admin"),
        )  # fmt: skip
        assert r.status_code == 422 and r.json()["error"]["field"] == "target_class"

    def test_huge_ids_are_not_found(self, client: TestClient, session: Session) -> None:
        h = auth(session, "admin")
        big = 2**40
        assert client.get(f"{P}/stations/{big}", headers=h).status_code == 404
        assert client.get(f"{P}/segments/{big}/chiefs", headers=h).status_code == 404
        assert client.get(P + "/stations", params={"segment_id": big}, headers=h).json()["total"] == 0
        assert client.get(P + "/segments", params={"river_id": big}, headers=h).json()["total"] == 0

    @pytest.mark.parametrize(
        ("params", "field"),
        [({"since": "0001-01-01T00:00:00+08:00"}, "since"), ({"until": "2026-01-01T00:00:00"}, "until"),
         ({"parameter": "TN"}, "parameter"), ({"limit": 0}, "limit")],
    )  # fmt: skip
    def test_bad_reading_filters_name_the_field(
        self, client: TestClient, session: Session, made: Made, params: dict, field: str
    ) -> None:
        r = client.get(
            f"{P}/stations/{made.station.id}/readings", params=params, headers=auth(session, "admin")
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text

    def test_out_of_scope_is_not_found(self, client: TestClient, session: Session, made: Made) -> None:
        r = client.get(f"{P}/stations/{made.station.id}", headers=auth(session, "gridworker"))
        assert r.status_code == 200
        r = client.get(f"{P}/stations/{made.station.id}", headers=auth(session, "resident"))
        assert r.status_code == 403


class TestIngest:
    def test_a_machine_client_sends_a_batch(
        self, client: TestClient, session: Session, made: Made, t0: datetime
    ) -> None:
        h = auth(session, "clerk")  # a gateway account (sector clerk) with a bearer token
        body = _batch(made.station.code, t0, DO=6.5, NH3N=0.4, pH=7.1)
        body["readings"].append(
            {"station": made.station.code, "parameter": "pH", "value": 99, "observed_at": t0.isoformat()}
        )
        r = client.post(P + "/readings", json=body, headers=h)
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["accepted"] == 3 and report["duplicates"] == 0
        assert report["refused"] == [
            {"index": 3, "station": made.station.code, "parameter": "pH", "reason": "out_of_range",
             "detail": "pH 99 pH is outside 0…14"}
        ]  # fmt: skip
        again = client.post(P + "/readings", json=body, headers=h).json()
        assert again["accepted"] == 0 and again["duplicates"] == 3
        admin = auth(session, "admin")
        station = client.get(f"{P}/stations/{made.station.id}", headers=admin).json()
        assert station["current_class"] == "II" and station["deciding"] == ["DO", "NH3N"]
        readings = client.get(
            f"{P}/stations/{made.station.id}/readings", params={"parameter": "NH3N"}, headers=admin
        ).json()
        assert readings["total"] == 1 and readings["items"][0] == {
            "parameter": "NH3N", "observed_at": t0.isoformat().replace("+00:00", "Z"), "value": 0.4,
            "unit": "mg/L"
        }  # fmt: skip
        refusals = client.get(f"{P}/stations/{made.station.id}/refusals", headers=admin).json()
        assert [(x["reason"], x["count"]) for x in refusals] == [("out_of_range", 2)]
        everything = client.get(P + "/refusals", headers=admin).json()
        assert any(x["station_code"] == made.station.code for x in everything["items"])

    @pytest.mark.parametrize(
        ("reading", "field"),
        [
            ({"parameter": "pH", "value": 7, "observed_at": "2026-01-01T00:00:00"}, "observed_at"),
            ({"parameter": "pH", "value": "x", "observed_at": "2026-01-01T00:00:00Z"}, "value"),
            ({"parameter": "pH", "observed_at": "2026-01-01T00:00:00Z"}, "value"),
            ({"parameter": "", "value": 7, "observed_at": "2026-01-01T00:00:00Z"}, "parameter"),
        ],
    )
    def test_bad_input_names_the_field(
        self, client: TestClient, session: Session, made: Made, reading: dict, field: str
    ) -> None:
        body = {"readings": [{"station": made.station.code, **reading}]}
        r = client.post(P + "/readings", json=body, headers=auth(session, "admin"))
        assert r.status_code == 422 and r.json()["error"]["field"] == f"readings.0.{field}", r.text

    def test_stations_out_of_scope_are_unknown(
        self, client: TestClient, session: Session, made: Made, t0: datetime
    ) -> None:
        from pingan.areas import service as areas
        from pingan.areas.types import AreaLevel
        from tests.rivers.conftest import make_station

        other = areas.list_areas(session, level=AreaLevel.GRID, within="330108001")[0].code
        far = make_station(session, other)
        r = client.post(
            P + "/readings", json=_batch(far.station.code, t0, DO=6.0), headers=auth(session, "clerk")
        )
        assert r.status_code == 200 and r.json()["refused"][0]["reason"] == "unknown_station"

    def test_ngsi_ld_normalized_entity(
        self, client: TestClient, session: Session, made: Made, t0: datetime
    ) -> None:
        at = t0.isoformat().replace("+00:00", "Z")
        entity = {
            "id": f"urn:ngsi-ld:WaterQualityObserved:{made.station.code}",
            "type": "WaterQualityObserved",
            "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": at}},
            "O2": {"type": "Property", "value": 8.1, "unitCode": "M1", "observedAt": at},
            "conductivity": {"type": "Property", "value": 0.0412, "unitCode": "D10", "observedAt": at},
            "NH4": {"type": "Property", "value": 420, "unitCode": "ug/L", "observedAt": at},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [120.21, 30.2]}},
            "measurand": {"type": "Property", "value": ["CODMn, 3.1, M1, permanganate index"]},
            "turbidity": {"type": "Property", "value": 5.0, "observedAt": at},
            "@context": ["https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"],
        }
        r = client.post(
            P + "/ngsi-ld/entities",
            content=__import__("json").dumps([entity]),
            headers={**auth(session, "clerk"), "Content-Type": "application/ld+json"},
        )
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["accepted"] == 4
        assert [(x["parameter"], x["reason"]) for x in report["refused"]] == [("turbidity", "not_measured")]
        station = client.get(f"{P}/stations/{made.station.id}", headers=auth(session, "admin")).json()
        assert station["current_class"] == "II" and station["deciding"] == ["CODMn", "NH3N"]

    def test_ngsi_key_values_and_bad_entities(
        self, client: TestClient, session: Session, made: Made, t0: datetime
    ) -> None:
        h = auth(session, "clerk")
        at = t0.isoformat()
        ok = {"id": f"urn:ngsi-ld:WaterQualityObserved:{made.station.code}:{at}",
              "type": "WaterQualityObserved", "dateObserved": at, "pH": 7.3, "salinity": 1.0}  # fmt: skip
        r = client.post(P + "/ngsi-ld/entities", json=ok, headers=h)
        assert r.status_code == 200 and r.json()["accepted"] == 1
        assert r.json()["refused"][0]["reason"] == "unknown_parameter"
        for bad, field in (
            ({**ok, "type": "Device"}, "type"),
            ({**ok, "id": "urn:x"}, "id"),
            ({**ok, "pH": "7"}, "pH"),
            ({**ok, "dateObserved": "yesterday"}, "dateObserved"),
        ):
            r = client.post(P + "/ngsi-ld/entities", json=bad, headers=h)
            assert r.status_code == 422 and r.json()["error"]["field"] == field, (bad, r.text)


class TestClassify:
    def test_classify(self, client: TestClient, session: Session) -> None:
        r = client.post(
            P + "/classify",
            json={"values": {"DO": 4.0, "TP": 0.08}, "is_lake": True},
            headers=auth(session, "admin"),
        )
        assert r.status_code == 200 and r.json() == {
            "standard": "GB3838-2002", "water_class": "IV", "deciding": ["DO", "TP"],
            "by_parameter": {"DO": "IV", "TP": "IV"},
        }  # fmt: skip
