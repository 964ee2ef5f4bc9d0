"""Import and export of the camera register as Excel (xlsx) or CSV: every row checked, row-level errors
(row number, field, reason), duplicate IDs refused (in the file and against the register); all-or-nothing
unless ``valid_rows_only``. The header row holds ``中文名|key`` (either half is recognised)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.clock import format_local
from pingan.core.errors import PinganError, TooLarge, ValidationFailed
from pingan.core.security import Actor, require_role
from pingan.core.validation import export_cell, export_rows
from pingan.devices import interface as devices

from . import gbid, service
from .models import Camera, VideoPlatform

MAX_ROWS = 20_000
COLUMNS: tuple[tuple[str, str], ...] = (
    ("gb_id", "国标编码"),
    ("name", "名称"),
    ("parent_gb_id", "上级设备国标编码"),
    ("platform", "视频平台"),
    ("lon", "经度"),
    ("lat", "纬度"),
    ("crs", "坐标系"),
    ("area_code", "网格编码"),
    ("direction_deg", "朝向(度)"),
    ("fov_deg", "视场角(度)"),
    ("range_m", "可视距离(米)"),
    ("owner_unit", "建设/权属单位"),
    ("road", "道路"),
    ("place_name", "点位/场所"),
    ("install_date", "安装日期"),
    ("contract_no", "维保合同编号"),
    ("contract_expires_on", "维保到期日"),
    ("manufacturer", "厂商"),
    ("model", "型号"),
)
EXPORT_EXTRA = (("type", "设备类型"), ("status", "在线状态"), ("status_since", "状态起始(北京时间)"))


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "imported": self.imported,
            "rejected": len({e.row for e in self.errors}),
            "errors": [e.__dict__ for e in self.errors[:1000]],
        }


class ImportRejected(ValidationFailed):
    """Row errors in all-or-nothing mode: nothing was written."""

    def __init__(self, report: ImportReport) -> None:
        rejected = len({e.row for e in report.errors})
        super().__init__(
            f"{rejected} of {report.total} rows have errors; nothing was imported",
            field="file",
            details=[e.__dict__ for e in report.errors[:1000]],
        )
        self.report = report


def template(fmt: str = "xlsx") -> bytes:
    """An empty register file with its header row."""
    return _file([[f"{label}|{key}" for key, label in COLUMNS]], fmt)


def _file(rows: list[list[Any]], fmt: str) -> bytes:
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        for row in rows:
            writer.writerow(["" if v is None else export_cell(v) for v in row])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("cameras")
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_rows(data: bytes, *, filename: str = "") -> list[dict[str, str]]:
    """The data rows of an xlsx or CSV file as {column key: text}, by the header row."""
    name = filename or "the file"
    if data[:2] != b"PK" and b"\x00" in data[:8192]:
        raise ValidationFailed(f"{name} is neither an xlsx workbook nor a CSV text file", field="file")
    if data[:2] == b"PK":
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            ws = wb.worksheets[0]
            raw = [["" if v is None else str(v).strip() for v in r] for r in ws.iter_rows(values_only=True)]
            wb.close()
        except Exception:  # noqa: BLE001 - any unreadable workbook is the user's file problem
            raise ValidationFailed(f"{name} is not a readable xlsx workbook", field="file") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        try:
            raw = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as exc:
            raise ValidationFailed(f"{name} is not a readable CSV file: {exc}", field="file") from None
    raw = [r for r in raw if any(r)]
    if not raw:
        raise ValidationFailed("the file has no header row", field="file")
    if len(raw) - 1 > MAX_ROWS:
        raise TooLarge(f"at most {MAX_ROWS} rows per file", field="file")
    lookup = {}
    for key, label in COLUMNS:
        lookup[key] = lookup[label] = lookup[f"{label}|{key}"] = key
    keys = {i: lookup[h.strip()] for i, h in enumerate(raw[0]) if h.strip() in lookup}
    if "gb_id" not in keys.values():
        raise ValidationFailed("the header row has no gb_id (国标编码) column", field="file")
    return [{k: (r[i] if i < len(r) else "") for i, k in keys.items()} for r in raw[1:]]


def import_cameras(
    session: Session, actor: Actor, *, data: bytes, filename: str = "", valid_rows_only: bool = False
) -> ImportReport:
    """Check every row, then add the valid ones (parents first); with errors and not ``valid_rows_only``,
    ImportRejected and nothing written."""
    require_role(actor, *service.WRITE_ROLES)
    rows = read_rows(data, filename=filename)
    report = ImportReport(total=len(rows))
    cleaned = _check_rows(session, rows, report)
    bad = {e.row for e in report.errors}
    if bad and not valid_rows_only:
        raise ImportRejected(report)
    ordered = sorted(
        ((n, item) for n, item in cleaned.items() if n not in bad),
        key=lambda p: (gbid.role_of(p[1]["gb_id"][10:13]) == "camera", p[0]),
    )
    saved: list[Camera] = []
    for number, item in ordered:
        savepoint = session.begin_nested()
        try:
            saved.append(_add(session, actor, item))
            savepoint.commit()
        except PinganError as exc:
            savepoint.rollback()
            report.errors.append(RowError(number, exc.field or "row", str(exc)))
    if report.errors and not valid_rows_only:
        raise ImportRejected(report)
    service.register_with_devices(session, saved)
    report.imported = len(saved)
    return report


def _check_rows(
    session: Session, rows: list[dict[str, str]], report: ImportReport
) -> dict[int, dict[str, Any]]:
    cleaned: dict[int, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows):
        number = offset + 2  # the header is row 1
        try:
            item = service.clean_record({k: v for k, v in row.items() if v != "" or k in ("gb_id", "name")})
        except PinganError as exc:
            report.errors.append(RowError(number, exc.field or "row", str(exc)))
            continue
        if item["gb_id"] in seen:
            report.errors.append(
                RowError(number, "gb_id", f"{item['gb_id']} repeats row {seen[item['gb_id']]} of the file")
            )
            continue
        seen[item["gb_id"]] = number
        cleaned[number] = item
    ids = [item["gb_id"] for item in cleaned.values()]
    existing: set[str] = set()
    for start in range(0, len(ids), 1000):
        existing.update(
            session.scalars(select(Camera.gb_id).where(Camera.gb_id.in_(ids[start : start + 1000])))
        )
    in_file_parents = {
        item["gb_id"] for item in cleaned.values() if gbid.role_of(item["gb_id"][10:13]) != "camera"
    }
    platforms = set(session.scalars(select(VideoPlatform.code)))
    for number, item in list(cleaned.items()):
        problem: tuple[str, str] | None = None
        if item["gb_id"] in existing:
            problem = ("gb_id", f"{item['gb_id']} is already registered")
        elif item.get("platform") and item["platform"] not in platforms:
            problem = ("platform", f"platform {item['platform']} is not a registered video platform")
        elif item.get("parent_gb_id") and item["parent_gb_id"] not in in_file_parents:
            parent = session.scalar(select(Camera.role).where(Camera.gb_id == item["parent_gb_id"]))
            if parent is None or parent == "camera":
                problem = (
                    "parent_gb_id",
                    f"parent {item['parent_gb_id']} is no NVR/DVR or platform of the register",
                )
        if problem:
            report.errors.append(RowError(number, *problem))
    return cleaned


def _add(session: Session, actor: Actor, item: dict[str, Any]) -> Camera:
    parent = service.find_parent(session, item.get("parent_gb_id"))
    camera = Camera(gb_id=item["gb_id"])
    service.apply_fields(session, camera, item, parent)
    camera.area_code = service.area_for(session, item, parent)
    service.check_write_scope(actor, camera.area_code)
    session.add(camera)
    session.flush()
    return camera


def export_cameras(session: Session, actor: Actor, *, fmt: str = "xlsx", area: str | None = None) -> bytes:
    """The register in the actor's scope as a file (the import's columns, then type and current status)."""
    if fmt not in ("xlsx", "csv"):
        raise ValidationFailed("format must be xlsx or csv", field="format")
    cameras = list(session.scalars(service.list_cameras(session, actor, area=area)))
    parents = service.parent_gb_ids(session, cameras)
    platforms = dict(session.execute(select(VideoPlatform.id, VideoPlatform.code)).all())
    states = {
        **devices.device_states(session, service.PARENT),
        **devices.device_states(session, service.CAMERA),
    }
    header = [f"{label}|{key}" for key, label in (*COLUMNS, *EXPORT_EXTRA)]
    body: list[list[Any]] = []
    for c in cameras:
        state = states.get(c.gb_id)
        body.append(
            [
                c.gb_id,
                c.name,
                parents.get(c.parent_id or 0, ""),
                platforms.get(c.platform_id or 0, ""),
                c.lon,
                c.lat,
                "wgs84",
                c.area_code,
                c.direction_deg,
                c.fov_deg,
                c.range_m,
                c.owner_unit,
                c.road,
                c.place_name,
                c.install_date.isoformat() if c.install_date else "",
                c.contract_no,
                c.contract_expires_on.isoformat() if c.contract_expires_on else "",
                c.manufacturer,
                c.model,
                gbid.TYPES.get(c.type_code, (c.type_code,))[0],
                state.status if state else "unknown",
                format_local(state.status_since) if state else "",
            ]
        )
    return _file([header, *export_rows(body)] if body else [header], fmt)
