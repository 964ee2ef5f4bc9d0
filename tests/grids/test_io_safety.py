"""Register files that are not what they claim answer a clear 4xx; exports stay inert and readable whatever
the stored text holds (issue 13: control characters, spreadsheet formulas)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.errors import ValidationFailed
from pingan.core.security import Actor
from pingan.grids import io as grid_io
from pingan.grids.models import Household, Resident
from tests.factories import auth
from tests.grids.conftest import id_number, point_in
from tests.grids.test_io import _row

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
FORMULA = '=HYPERLINK("http://evil.example/","x")'
HEADER = "网格编码,地址,经度,纬度,房号,户类型,姓名,身份证号,手机号,人员类别,关爱标签,与户主关系"


def _csv(rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER.split(","), *rows])
    return buf.getvalue().encode("utf-8")


def _bare_cr_csv(grid: str, lon: float, lat: float) -> bytes:
    row = f"{grid},导入路8号,{lon},{lat},1室,registered,导入测试,{id_number(700)},13800138000,floating,,户主"
    return (HEADER + "\r" + row + "\r").encode("utf-8")


class TestImportFiles:
    @pytest.mark.parametrize("route", ["/api/v1/grids/import?kind=residents", "/gridwork/import"])
    def test_png_is_a_clear_4xx(self, client: TestClient, session: Session, route: str) -> None:
        files = {"file": ("photo.png", PNG, "image/png")}
        r = client.post(route, headers=auth(session, "gridworker"), data={"kind": "residents"}, files=files)
        assert r.status_code == 422, r.text[:300]
        if route.startswith("/api/"):
            assert r.json()["error"]["field"] == "file"

    def test_png_as_raw_body(self, client: TestClient, session: Session) -> None:
        r = client.post(
            "/api/v1/grids/import?kind=residents",
            content=PNG,
            headers={**auth(session, "gridworker"), "Content-Type": "text/csv"},
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "file"

    @pytest.mark.parametrize("route", ["/api/v1/grids/import?kind=residents", "/gridwork/import"])
    def test_bare_cr_csv_is_read_line_by_line(
        self, client: TestClient, session: Session, grid_a: str, route: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        files = {"file": ("register.csv", _bare_cr_csv(grid_a, lon, lat), "text/csv")}
        r = client.post(route, headers=auth(session, "gridworker"), data={"kind": "residents"}, files=files)
        assert r.status_code == 200, r.text[:300]
        if route.startswith("/api/"):
            assert r.json()["imported"] == 1

    def test_broken_csv_quote_is_a_clear_4xx(self) -> None:
        data = (HEADER + '\n"a\x00b",x\n').encode()
        with pytest.raises(ValidationFailed) as err:
            grid_io.read_rows(data, "residents", filename="r.csv")
        assert err.value.field == "file"

    def test_control_character_in_a_cell_is_a_row_error(
        self, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        data = _csv([_row(grid_a, lon, lat, 1, room="1\u0001室")])
        with pytest.raises(ValidationFailed) as err:
            grid_io.import_register(session, gridworker, kind="residents", data=data)
        assert {(d["row"], d["field"]) for d in err.value.details} == {(2, "room")}


def _poison(session: Session, grid: str, room: str) -> None:
    """A stored household room as it may already be in the database (written before the input rules)."""
    resident = session.scalars(
        select(Resident).where(Resident.area_code == grid, Resident.household_id.is_not(None))
    )
    first = resident.first()
    assert first is not None
    household = session.get(Household, first.household_id)
    assert household is not None
    household.room = room
    session.flush()


class TestExports:
    def test_household_room_input_refuses_control_characters(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        household = session.scalars(select(Household).where(Household.area_code == grid_a)).first()
        assert household is not None
        r = client.patch(
            f"/api/v1/grids/households/{household.id}",
            json={"room": "3\u0001室"},
            headers=auth(session, "gridworker"),
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "room"

    def test_xlsx_export_survives_control_characters_and_has_no_formula(
        self, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        _poison(session, grid_a, "3\u0001" + FORMULA)
        data, count = grid_io.export_register(session, gridworker, kind="residents", fmt="xlsx")
        assert count > 0
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        cells = [c for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        assert any(c.value == "3" + FORMULA for c in cells)  # the control character dropped, text kept

    def test_csv_export_neutralises_formulas(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        _poison(session, grid_a, FORMULA)
        data, _ = grid_io.export_register(session, gridworker, kind="residents", fmt="csv")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        rooms = [row[4] for row in rows[1:]]
        assert "'" + FORMULA in rooms
        assert not [cell for row in rows[1:] for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]

    def test_error_file_neutralises_formulas(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        data = _csv([_row(grid_a, lon, lat, 1, name=FORMULA, phone="555")])
        with pytest.raises(grid_io.ImportRejected) as err:
            grid_io.import_register(session, gridworker, kind="residents", data=data)
        assert err.value.report.error_file
        sheet = load_workbook(io.BytesIO(err.value.report.error_file)).worksheets[0]
        cells = [c for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        assert any(c.value == "'" + FORMULA for c in cells)

    def test_patrol_roster_export_neutralises_formulas(self, client: TestClient, session: Session) -> None:
        from pingan.patrols.models import PatrolVolunteer

        volunteer = session.scalars(select(PatrolVolunteer)).first()
        assert volunteer is not None
        volunteer.device_id = "@SUM(1+1)*cmd|' /C calc'!A0"
        session.flush()
        r = client.get("/api/v1/patrols/volunteers/export", headers=auth(session, "admin"))
        assert r.status_code == 200
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert "'@SUM(1+1)*cmd|' /C calc'!A0" in [row[-1] for row in rows]
