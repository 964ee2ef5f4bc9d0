"""Open311 GeoReport v2 on a live `pingan serve`: the `georeport` client (GET side), httpx for POST."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import xmltodict
from georeport import GeoReport
from sqlalchemy import select

from pingan.accounts import service as accounts
from pingan.core.db import create_db_engine, make_session_factory, transaction
from pingan.grids.models import Building
from tests.cases.conftest import JPEG
from tests.cases.helpers import GRID, point_in
from tests.cases.server import copy_db, serving


@pytest.fixture(scope="module")
def live(
    demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, tuple[float, float]]]:
    url = copy_db(demo_db_template, tmp_path_factory.mktemp("open311") / "o.db")
    engine = create_db_engine(url)
    with transaction(make_session_factory(engine)) as session:
        partner = accounts.create_account(session, username="partner-app", password="partner-password")
        key = accounts.issue_token(session, account_id=partner.id, kind="open311", name="partner", ttl=None)
        point = point_in(session, GRID)
    engine.dispose()
    with serving(url) as (base, _proc):
        yield base + "/open311/v2", key, point


class TestGetSideWithGeoreportClient:
    def test_services_json_and_xml(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, _key, _point = live
        services = GeoReport(base).get_service_list()
        codes = {s["service_code"] for s in services}
        assert {"0102", "0701", "1402"} <= codes and "0410" not in codes  # SOS is internal
        assert all(s["type"] == "realtime" for s in services)
        xml = GeoReport(base, output_format="xml").get_service_list()
        assert {s["service_code"] for s in xml} == codes

    def test_service_definition(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, _key, _point = live
        definition = GeoReport(base).get_service_definition("0701")
        assert definition["service_code"] == "0701"
        assert definition["attributes"][0]["code"] == "blocked_by"

    def test_post_then_read_back(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, key, (lon, lat) = live
        r = httpx.post(
            f"{base}/requests.json",
            data={
                "api_key": key,
                "service_code": "0701",
                "lat": str(lat),
                "long": str(lon),
                "description": "三幢楼下消防通道被电动车堵住",
                "attribute[blocked_by]": "ebike",
                "phone": "13812345678",
                "jurisdiction_id": "binjiang",
            },
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert isinstance(body, list) and len(body) == 1
        number = body[0]["service_request_id"]
        assert "token" not in body[0]

        client = GeoReport(base)
        found = client.get_service_requests(service_request_id=number)
        assert found[0]["status"] == "open" and found[0]["service_code"] == "0701"
        assert found[0]["requested_datetime"].endswith("+08:00")
        assert "13812345678" not in str(found)
        listed = client.get_service_requests(service_code="0701", status="open")
        assert number in {f["service_request_id"] for f in listed}
        one = httpx.get(f"{base}/requests/{number}.xml").text
        parsed = xmltodict.parse(one)["service_requests"]["request"]
        assert parsed["service_request_id"] == number and parsed["long"] == str(found[0]["long"])

    def test_post_by_address_only(
        self, live: tuple[str, str, tuple[float, float]], demo_db_template: Path
    ) -> None:
        """A client that knows the address, not the point: placed at the district's address register."""
        base, key, _point = live
        engine = create_db_engine(f"sqlite:///{demo_db_template}")
        with transaction(make_session_factory(engine)) as session:
            building = session.scalars(
                select(Building).where(Building.address.like("%号%幢")).order_by(Building.id)
            ).first()
            assert building is not None
            address, lon, lat = building.address, building.lon, building.lat
        engine.dispose()
        r = httpx.post(
            f"{base}/requests.json",
            data={
                "api_key": key,
                "service_code": "0102",
                "address_string": f"浙江省杭州市滨江区{address}",
                "description": "楼下垃圾没人收",
            },
        )
        assert r.status_code == 201, r.text
        number = r.json()[0]["service_request_id"]
        found = GeoReport(base).get_service_requests(service_request_id=number)[0]
        assert abs(float(found["lat"]) - lat) < 1e-6 and abs(float(found["long"]) - lon) < 1e-6
        assert found["address"] == f"浙江省杭州市滨江区{address}"

    def test_multipart_media(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, key, (lon, lat) = live
        r = httpx.post(
            f"{base}/requests.json",
            data={
                "api_key": key,
                "service_code": "0102",
                "lat": str(lat),
                "long": str(lon),
                "description": "垃圾",
            },
            files={"media": ("photo.jpg", JPEG, "image/jpeg")},
        )
        assert r.status_code == 201, r.text

    def test_extensions_and_paging(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, _key, _point = live
        r = httpx.get(f"{base}/requests.json", params={"page_size": 3, "extensions": "true"})
        assert r.status_code == 200
        items = r.json()
        assert len(items) == 3 and "notes" in items[0] and items[0]["notes"][0]["type"] == "report"
        page2 = httpx.get(f"{base}/requests.json", params={"page_size": 3, "page": 2}).json()
        assert {i["service_request_id"] for i in page2}.isdisjoint({i["service_request_id"] for i in items})

    def test_discovery(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, _key, _point = live
        doc = httpx.get(f"{base}/discovery.json").json()
        assert doc["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"


class TestErrors:
    @pytest.mark.parametrize(
        ("fields", "status", "needle"),
        [
            ({"api_key": "", "service_code": "0102", "lat": "30.2", "long": "120.2"}, 403, "api_key"),
            ({"api_key": "nope", "service_code": "0102", "lat": "30.2", "long": "120.2"}, 403, "api_key"),
            ({"service_code": "", "lat": "30.2", "long": "120.2"}, 400, "service_code"),
            ({"service_code": "7777", "lat": "30.2", "long": "120.2"}, 404, "service_code"),
            ({"service_code": "0102", "lat": "30.2"}, 400, "lat and long"),
            ({"service_code": "0102"}, 400, "address_string"),
            ({"service_code": "0102", "address_string": "月球背面1号"}, 400, "address register"),
            ({"service_code": "0102", "lat": "39.9", "long": "116.4"}, 400, "outside"),
            (
                {"service_code": "0701", "lat": "30.2", "long": "120.2", "attribute[blocked_by]": "tank"},
                400,
                "blocked_by",
            ),
        ],
    )
    def test_post_errors_in_spec_shape(
        self, live: tuple[str, str, tuple[float, float]], fields: dict[str, str], status: int, needle: str
    ) -> None:
        base, key, (lon, lat) = live
        data = {"api_key": key, **fields}
        if data.get("lat") == "30.2":
            data["lat"] = str(lat)
        if data.get("long") == "120.2":
            data["long"] = str(lon)
        r = httpx.post(f"{base}/requests.json", data=data)
        assert r.status_code == status, r.text
        body = r.json()
        assert isinstance(body, list) and body[0]["code"] and needle in body[0]["description"]

    def test_xml_error(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, _key, _point = live
        r = httpx.get(f"{base}/requests/NOPE.xml")
        assert r.status_code == 404
        assert xmltodict.parse(r.text)["errors"]["error"]["code"] == "404"

    def test_window_over_90_days(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, _key, _point = live
        r = httpx.get(
            f"{base}/requests.json",
            params={"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
        )
        assert r.status_code == 400 and "90 days" in r.json()[0]["description"]

    def test_naive_time_refused(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, _key, _point = live
        r = httpx.get(f"{base}/requests.json", params={"start_date": "2026-01-01T00:00:00"})
        assert r.status_code == 400


class TestServiceRequestUpdates:
    """mySociety's extension, as FixMyStreet uses it: poll the updates, post a resident's comment."""

    def test_comment_then_poll(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, key, (lon, lat) = live
        created = httpx.post(
            f"{base}/requests.json",
            data={"api_key": key, "service_code": "0102", "lat": str(lat), "long": str(lon),
                  "description": "路灯不亮，晚上很黑"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        number = created.json()[0]["service_request_id"]
        comment = {
            "api_key": key,
            "service_request_id": number,
            "update_id": "fms-901",
            "updated_datetime": "2026-11-29T18:30:00+08:00",
            "status": "OPEN",
            "description": "今晚还是不亮",
            "first_name": "Wei",
            "email": "w@example.org",
        }
        first = httpx.post(f"{base}/servicerequestupdates.json", data=comment)
        assert first.status_code == 200, first.text
        update_id = first.json()[0]["update_id"]
        again = httpx.post(f"{base}/servicerequestupdates.json", data=comment)  # a retry: the same update
        assert again.json() == [{"update_id": update_id}]

        # the updates since a minute ago (the default window, the last 24 h, holds a page of the demo's own)
        since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        polled = httpx.get(
            f"{base}/servicerequestupdates.json", params={"api_key": key, "start_date": since}
        ).json()
        mine = [u for u in polled if u["service_request_id"] == number]
        assert [u["status"] for u in mine] == ["OPEN", "OPEN"]
        assert mine[-1] == {
            "update_id": update_id,
            "service_request_id": number,
            "status": "OPEN",
            "updated_datetime": mine[-1]["updated_datetime"],
            "description": "今晚还是不亮",
            "media_url": "",
        }
        assert "w@example.org" not in httpx.get(f"{base}/requests/{number}.json?extensions=true").text
        xml = xmltodict.parse(
            httpx.get(f"{base}/servicerequestupdates.xml", params={"api_key": key, "start_date": since}).text
        )["service_request_updates"]["request_update"]
        assert update_id in {u["update_id"] for u in (xml if isinstance(xml, list) else [xml])}

    def test_refusals_name_the_problem(self, live: tuple[str, str, tuple[float, float]]) -> None:
        base, key, _point = live
        url = f"{base}/servicerequestupdates.json"
        assert httpx.get(url).status_code == 403
        assert httpx.post(url, data={"api_key": "nope", "service_request_id": "x"}).status_code == 403
        missing = httpx.post(url, data={"api_key": key, "service_request_id": "BJ0", "update_id": "1"})
        assert missing.status_code == 400 and "description" in missing.json()[0]["description"]
        unknown = httpx.post(
            url, data={"api_key": key, "service_request_id": "BJ0", "update_id": "1", "description": "x"}
        )
        assert unknown.status_code == 404
        window = httpx.get(
            url,
            params={"api_key": key, "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
        )
        assert window.status_code == 400 and "90 days" in window.json()[0]["description"]
        status = httpx.post(
            url, data={"api_key": key, "service_request_id": "BJ0", "update_id": "1", "description": "x",
                       "status": "MAYBE"},
        )  # fmt: skip
        assert status.status_code == 400 and "status" in status.json()[0]["description"]
