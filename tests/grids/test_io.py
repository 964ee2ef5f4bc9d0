"""Register import/export: template, row checks, all-or-nothing, valid rows + error file, audited export."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.core.errors import Forbidden, ValidationFailed
from pingan.core.security import Actor
from pingan.grids import io as grid_io
from pingan.grids.models import RecordChange, Resident
from tests.grids.conftest import id_number, point_in

HEADER = [
    "网格编码",
    "地址",
    "经度",
    "纬度",
    "房号",
    "户类型",
    "姓名",
    "身份证号",
    "手机号",
    "人员类别",
    "关爱标签",
    "与户主关系",
]


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row(grid: str, lon: object, lat: float, n: int, **over: object) -> list[object]:
    base = {
        "grid": grid,
        "address": "导入路8号",
        "lon": lon,
        "lat": lat,
        "room": f"{n}室",
        "kind": "registered",
        "name": "导入测试",
        "id": id_number(500 + n),
        "phone": "13800138000",
        "cat": "floating",
        "tags": "elderly_alone",
        "rel": "户主",
    }
    base.update(over)
    return list(base.values())


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Resident)) or 0)


class TestTemplate:
    def test_xlsx_template_reads_back_empty(self) -> None:
        data = grid_io.template("residents")
        assert grid_io.read_rows(data, "residents") == []
        wb = load_workbook(io.BytesIO(data))
        assert "说明" in wb.sheetnames

    def test_csv_template(self) -> None:
        assert grid_io.read_rows(grid_io.template("places", "csv"), "places") == []

    def test_missing_columns(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            grid_io.read_rows("姓名\n张三\n".encode(), "residents")
        assert err.value.field == "file"


class TestImportRegister:
    def test_clean_file(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        before = _count(session)
        report = grid_io.import_register(
            session, gridworker, kind="residents", data=_xlsx([_row(grid_a, lon, lat, i) for i in range(5)])
        )
        assert (report.imported, report.errors) == (5, [])
        assert _count(session) == before + 5
        changes = session.scalar(
            select(func.count()).select_from(RecordChange).where(RecordChange.source == "import")
        )
        assert changes and changes >= 5 + 1 + 5  # residents, the new building, households

    def test_any_bad_row_writes_nothing(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        bad_id = id_number(600)[:-1] + ("1" if id_number(600)[-1] != "1" else "2")
        rows = [
            _row(grid_a, lon, lat, 1),
            _row(grid_a, lon, lat, 2, id=bad_id),
            _row(grid_a, lon, lat, 3, phone="555"),
        ]
        before = _count(session)
        with pytest.raises(ValidationFailed) as err:
            grid_io.import_register(session, gridworker, kind="residents", data=_xlsx(rows))
        assert _count(session) == before
        details = err.value.details
        assert {(d["row"], d["field"]) for d in details} == {(3, "id_number"), (4, "phone")}

    def test_valid_rows_and_error_file(
        self, session: Session, gridworker: Actor, grid_a: str, grid_b: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        blon, blat = point_in(session, grid_b)
        rows = [
            _row(grid_a, lon, lat, 1),
            _row(grid_a, lon, lat, 2, id=id_number(501)),  # duplicate of row 2 within the file
            _row(grid_a, blon, blat, 3),  # address outside its grid
            _row(grid_b, blon, blat, 4),  # a grid outside the grid worker's area
            _row(grid_a, "abc", lat, 5),
        ]
        report = grid_io.import_register(
            session, gridworker, kind="residents", data=_xlsx(rows), valid_rows_only=True
        )
        assert report.imported == 1 and report.rejected == 4
        by_row = {e.row: e.field for e in report.errors}
        assert by_row == {3: "id_number", 4: "lon", 5: "grid_code", 6: "lon"}
        assert report.error_file is not None
        ws = load_workbook(io.BytesIO(report.error_file)).active
        assert ws is not None
        values = list(ws.iter_rows(values_only=True))
        assert values[0][-1] == "错误|error" and len(values) == 5 and values[1][0] == 3

    def test_duplicate_against_the_database(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        grid_io.import_register(
            session, gridworker, kind="residents", data=_xlsx([_row(grid_a, lon, lat, 7)])
        )
        report = grid_io.import_register(
            session,
            gridworker,
            kind="residents",
            data=_xlsx([_row(grid_a, lon, lat, 7)]),
            valid_rows_only=True,
        )
        assert report.imported == 0 and report.errors[0].message.startswith("a resident with this ID")

    def test_csv_places(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        text = (
            f"场所类型,名称,经度,纬度,负责人,负责人电话\npharmacy,导入药房,{lon},{lat},王某某,13900000000\n"
        )
        report = grid_io.import_register(session, gridworker, kind="places", data=text.encode("utf-8-sig"))
        assert report.imported == 1

    def test_cadre_may_not_import(self, session: Session, cadre: Actor) -> None:
        with pytest.raises(Forbidden):
            grid_io.import_register(session, cadre, kind="residents", data=grid_io.template("residents"))


class TestExportRegister:
    def test_masked_export_is_audited(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        data, n = grid_io.export_register(session, gridworker, kind="residents")
        rows = grid_io.read_rows(data, "residents")
        assert n == len(rows) > 0 and {r["grid_code"] for r in rows} == {grid_a}
        assert all("*" in r["id_number"] for r in rows)
        last = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
        assert last is not None and last.action == "pii.bulk_read" and last.details["count"] == n

    def test_full_export_needs_a_reason_and_round_trips(self, session: Session, gridworker: Actor) -> None:
        with pytest.raises(ValidationFailed):
            grid_io.export_register(session, gridworker, kind="residents", full=True)
        data, n = grid_io.export_register(
            session, gridworker, kind="residents", fmt="csv", full=True, reason="年度核对"
        )
        rows = grid_io.read_rows(data, "residents")
        assert len(rows) == n and all(len(r["id_number"]) == 18 and "*" not in r["id_number"] for r in rows)
        last = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
        assert last is not None and last.action == "pii.export" and last.reason == "年度核对"

    def test_cadre_cannot_export_full_values(self, session: Session, cadre: Actor) -> None:
        with pytest.raises(Forbidden):
            grid_io.export_register(session, cadre, kind="residents", full=True, reason="看看")
