"""Register import and export as Excel (xlsx) or CSV, with a downloadable template.

Every row is validated (ID check digit, phone, address inside the grid, duplicates in the file and against
the database). Nothing is written unless the file is clean — or, when asked, the valid rows are written and
the rejected rows come back as an xlsx error file with an error column. Exports are audited.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from openpyxl import Workbook, load_workbook
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.audit import pii_service
from pingan.core.errors import NotFound, PinganError, TooLarge, ValidationFailed
from pingan.core.modules import PlaceType as PlaceTypeDecl
from pingan.core.pii import (
    get_protector,
    id_number_index,
    mask_name,
    mask_phone,
    normalise_id_number,
    normalise_phone,
)
from pingan.core.security import Actor, require_role
from pingan.core.validation import check_text, export_cell
from pingan.grids.common import WRITE_ROLES, get_grid_code
from pingan.grids.households import HOUSEHOLD_KINDS
from pingan.grids.models import Building, CareTag, Household, Place, RecordChange, Resident
from pingan.grids.places import PLACE_STATUSES, places_query
from pingan.grids.placetypes import by_code, check_place_type, place_types
from pingan.grids.privacy import decrypt_optional, encrypt_optional
from pingan.grids.residents import clean_care_tags, list_residents, protected_person_fields

Progress = Callable[[int, int], None]
MAX_ROWS = 50_000
PII_FIELDS = {
    "residents": ("name", "id_number", "phone"),
    "places": ("responsible_name", "responsible_phone"),
}

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "residents": [
        ("grid_code", "网格编码"),
        ("address", "地址"),
        ("lon", "经度"),
        ("lat", "纬度"),
        ("room", "房号"),
        ("household_kind", "户类型"),
        ("name", "姓名"),
        ("id_number", "身份证号"),
        ("phone", "手机号"),
        ("category", "人员类别"),
        ("care_tags", "关爱标签"),
        ("relation", "与户主关系"),
    ],
    "places": [
        ("grid_code", "网格编码"),
        ("place_type", "场所类型"),
        ("name", "名称"),
        ("address", "地址"),
        ("lon", "经度"),
        ("lat", "纬度"),
        ("responsible_name", "负责人"),
        ("responsible_phone", "负责人电话"),
        ("status", "状态"),
    ],
}
REQUIRED = {
    "residents": ("address", "lon", "lat", "room", "name", "id_number"),
    "places": ("place_type", "name", "lon", "lat"),
}
NOTES = {
    "residents": [
        "网格编码 grid_code: 14 位网格编码，可留空（按经纬度定位）；地址点必须位于该网格内",
        "经度/纬度 lon/lat: WGS-84 十进制度",
        "户类型 household_kind: registered / rental / vacant",
        "身份证号 id_number: 18 位（GB 11643 校验位）",
        "手机号 phone: 11 位手机号或带区号的固定电话，可留空",
        "人员类别 category: registered 户籍 / floating 流动 / rental 租住",
        "关爱标签 care_tags: 逗号分隔，" + ", ".join(t.value for t in CareTag),
    ],
    "places": [
        "场所类型 place_type: {place_types}",
        "状态 status: active / closed",
        "经度/纬度 lon/lat: WGS-84 十进制度，必须位于网格内",
    ],
}


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    kind: str
    total: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_file: bytes | None = None

    @property
    def rejected(self) -> int:
        return len({e.row for e in self.errors})

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "total": self.total,
            "imported": self.imported,
            "rejected": self.rejected,
            "errors": [e.__dict__ for e in self.errors],
            "error_file_base64": base64.b64encode(self.error_file).decode() if self.error_file else None,
        }


class ImportRejected(ValidationFailed):
    """A file with row errors in all-or-nothing mode: nothing was written; the report says why."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            f"{report.rejected} of {report.total} rows have errors; nothing was imported",
            field="file",
            details=[e.__dict__ for e in report.errors[:1000]],
        )
        self.report = report


def _kind(kind: str) -> str:
    if kind not in COLUMNS:
        raise ValidationFailed("kind must be residents or places", field="kind")
    return kind


# --- files in and out -------------------------------------------------------------------------------------


def template(kind: str, fmt: str = "xlsx") -> bytes:
    """An empty register file with the header row (xlsx: plus a sheet explaining the columns)."""
    columns = COLUMNS[_kind(kind)]
    headers = [f"{label}|{key}" for key, label in columns]
    if fmt == "csv":
        return _csv_bytes([headers])
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = kind
    ws.append(headers)
    notes = wb.create_sheet("说明")
    types = "; ".join(f"{t.code} {t.name_zh}/{t.name_en}" for t in place_types())
    for line in NOTES[kind]:
        notes.append([line.replace("{place_types}", types)])
    return _xlsx_bytes(wb)


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow(["" if v is None else export_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _sheet_row(row: list[Any]) -> list[Any]:
    """A row as an xlsx sheet takes it: user text inert (no formula, no character xlsx cannot hold)."""
    return [export_cell(v) for v in row]


def _xlsx_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_rows(data: bytes, kind: str, *, filename: str = "") -> list[dict[str, str]]:
    """The data rows of an xlsx or CSV file as {column key: text}, by the header row."""
    kind = _kind(kind)
    if _looks_binary(data):
        raise ValidationFailed(
            f"{filename or 'the file'} is neither an xlsx workbook nor a CSV text file", field="file"
        )
    if data[:2] == b"PK":
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable workbook is the user's file problem
            raise ValidationFailed(
                f"{filename or 'the file'} is not a readable xlsx workbook", field="file"
            ) from None
        ws = wb.worksheets[0]
        raw = [["" if v is None else str(v).strip() for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        try:  # newline="": the csv module itself reads CRLF, LF and lone CR line ends
            raw = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as exc:
            raise ValidationFailed(
                f"{filename or 'the file'} is not a readable CSV file: {exc}", field="file"
            ) from None
    raw = [r for r in raw if any(r)]
    if not raw:
        raise ValidationFailed("the file has no header row", field="file")
    keys = _header_keys(raw[0], kind)
    if len(raw) - 1 > MAX_ROWS:
        raise TooLarge(f"at most {MAX_ROWS} rows per file", field="file")
    return [{k: (row[i] if i < len(row) else "") for i, k in keys.items()} for row in raw[1:]]


def _looks_binary(data: bytes) -> bool:
    """Neither a zip (xlsx) nor text: a NUL byte in the first kilobytes, as images and other binaries have."""
    return data[:2] != b"PK" and b"\x00" in data[:8192]


def _header_keys(header: list[str], kind: str) -> dict[int, str]:
    lookup: dict[str, str] = {}
    for key, label in COLUMNS[kind]:
        lookup[key] = lookup[label] = lookup[f"{label}|{key}"] = key
    keys = {i: lookup[h] for i, h in enumerate(header) if h in lookup}
    missing = [k for k in REQUIRED[kind] if k not in keys.values()]
    if missing:
        raise ValidationFailed(f"the header row lacks the columns: {', '.join(missing)}", field="file")
    return keys


# --- import -----------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    grid: str | None = None


def import_register(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    data: bytes,
    filename: str = "",
    valid_rows_only: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate every row; write all (clean file) or, when asked, only the valid rows."""
    require_role(actor, *WRITE_ROLES)
    rows = [_Row(i + 2, r) for i, r in enumerate(read_rows(data, kind, filename=filename))]
    report = ImportReport(kind=kind, total=len(rows))
    errors: dict[int, list[RowError]] = {}
    types = place_types()
    validate = _validate_resident if kind == "residents" else partial(_validate_place, types=types)
    for row in rows:
        try:
            for key, value in row.raw.items():
                check_text(value, field=key)
            validate(row)
        except PinganError as exc:
            errors.setdefault(row.number, []).append(RowError(row.number, exc.field or "row", exc.message))
    _locate_rows(session, actor, [r for r in rows if r.number not in errors], errors)
    if kind == "residents":
        _resident_duplicates(session, [r for r in rows if r.number not in errors], errors)
    else:
        _place_duplicates(session, [r for r in rows if r.number not in errors], errors)
    report.errors = [e for n in sorted(errors) for e in errors[n]]
    if report.errors and not valid_rows_only:
        report.error_file = error_workbook(kind, [r for r in rows if r.number in errors], errors)
        raise ImportRejected(report)
    good = [r for r in rows if r.number not in errors]
    if kind == "residents":
        report.imported = _write_residents(session, actor, good, progress)
    else:
        report.imported = _write_places(session, actor, good, progress)
    if report.errors:
        report.error_file = error_workbook(kind, [r for r in rows if r.number in errors], errors)
    return report


def _num(value: str, field: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValidationFailed(f"{field} must be a number", field=field) from None


def _required(row: _Row, kind: str) -> None:
    for key in REQUIRED[kind]:
        if not row.raw.get(key):
            raise ValidationFailed(f"{key} is required", field=key)


def _validate_resident(row: _Row) -> None:
    _required(row, "residents")
    r = row.raw
    v = row.values
    v["lon"], v["lat"] = _num(r["lon"], "lon"), _num(r["lat"], "lat")
    v["id_number"] = normalise_id_number(r["id_number"])
    v["phone"] = normalise_phone(r["phone"]) if r.get("phone") else None
    v["name"] = r["name"]
    if len(v["name"]) > 40:
        raise ValidationFailed("name is longer than 40 characters", field="name")
    v["category"] = r.get("category") or "registered"
    if v["category"] not in ("registered", "floating", "rental"):
        raise ValidationFailed("category must be registered, floating or rental", field="category")
    v["household_kind"] = r.get("household_kind") or "registered"
    if v["household_kind"] not in HOUSEHOLD_KINDS:
        raise ValidationFailed("household_kind must be registered, rental or vacant", field="household_kind")
    tags = [t.strip() for t in r.get("care_tags", "").replace("，", ",").split(",") if t.strip()]
    v["care_tags"] = clean_care_tags(tags)
    v["address"], v["room"], v["relation"] = r["address"][:200], r["room"][:40], r.get("relation", "")[:16]


def _validate_place(row: _Row, *, types: Sequence[PlaceTypeDecl]) -> None:
    _required(row, "places")
    r = row.raw
    v = row.values
    v["lon"], v["lat"] = _num(r["lon"], "lon"), _num(r["lat"], "lat")
    v["place_type"] = check_place_type(r["place_type"], types)  # a code, or its zh/en name
    v["name"], v["address"] = r["name"][:120], r.get("address", "")[:200]
    v["responsible_name"] = r.get("responsible_name") or None
    v["responsible_phone"] = (
        normalise_phone(r["responsible_phone"], field="responsible_phone")
        if r.get("responsible_phone")
        else None
    )
    v["status"] = r.get("status") or "active"
    if v["status"] not in PLACE_STATUSES:
        raise ValidationFailed("status must be active or closed", field="status")


def _locate_rows(session: Session, actor: Actor, rows: list[_Row], errors: dict[int, list[RowError]]) -> None:
    if not rows:
        return
    lons = np.array([r.values["lon"] for r in rows])
    lats = np.array([r.values["lat"] for r in rows])
    try:
        located = areas.locate_many(session, lon=lons, lat=lats)
    except ValidationFailed:
        located = [None] * len(rows)
        for i, r in enumerate(rows):
            try:
                located[i] = areas.locate(session, lon=r.values["lon"], lat=r.values["lat"])
            except ValidationFailed as exc:
                errors.setdefault(r.number, []).append(RowError(r.number, exc.field or "lon", exc.message))
    allowed: dict[str, bool] = {}
    for row, where in zip(rows, located, strict=True):
        if row.number in errors:
            continue
        wanted = row.raw.get("grid_code") or None
        if where is None:
            errors.setdefault(row.number, []).append(
                RowError(row.number, "lon", "the address point lies outside every grid of the district")
            )
            continue
        if wanted and where.grid.code != wanted:
            errors.setdefault(row.number, []).append(
                RowError(
                    row.number, "lon", f"the address lies in grid {where.grid.code}, not in grid {wanted}"
                )
            )
            continue
        code = where.grid.code
        if code not in allowed:
            try:
                get_grid_code(session, actor, code, roles=WRITE_ROLES)
                allowed[code] = True
            except (NotFound, ValidationFailed):
                allowed[code] = False
        if not allowed[code]:
            errors.setdefault(row.number, []).append(
                RowError(row.number, "grid_code", f"grid {code} is not in your area")
            )
            continue
        row.grid = code


def _resident_duplicates(session: Session, rows: list[_Row], errors: dict[int, list[RowError]]) -> None:
    protector = get_protector()
    seen: dict[str, int] = {}
    for row in rows:
        index = id_number_index(protector, row.values["id_number"])
        row.values["id_index"] = index
        if index in seen:
            errors.setdefault(row.number, []).append(
                RowError(row.number, "id_number", f"the same ID number is already on row {seen[index]}")
            )
        else:
            seen[index] = row.number
    found: set[str] = set()
    keys = list(seen)
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        found |= set(
            session.scalars(select(Resident.id_number_index).where(Resident.id_number_index.in_(chunk)))
        )
    for row in rows:
        if row.number not in errors and row.values["id_index"] in found:
            errors.setdefault(row.number, []).append(
                RowError(row.number, "id_number", "a resident with this ID number is already registered")
            )


def _place_duplicates(session: Session, rows: list[_Row], errors: dict[int, list[RowError]]) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    grids = sorted({r.grid for r in rows if r.grid})
    existing = {
        (a, t, n)
        for a, t, n in session.execute(
            select(Place.area_code, Place.place_type, Place.name).where(Place.area_code.in_(grids))
        )
    }
    for row in rows:
        key = (row.grid or "", row.values["place_type"], row.values["name"])
        if key in seen:
            errors.setdefault(row.number, []).append(
                RowError(row.number, "name", f"the same place is already on row {seen[key]}")
            )
        elif key in existing:
            errors.setdefault(row.number, []).append(
                RowError(
                    row.number, "name", "a place of this type and name is already registered in this grid"
                )
            )
        else:
            seen[key] = row.number


def _history_rows(actor: Actor, record_type: str, records: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "record_type": record_type,
            "record_id": r.id,
            "area_code": r.area_code,
            "action": "create",
            "changes": {"imported": [None, True]},
            "account_id": actor.account_id,
            "username": actor.username,
            "source": "import",
        }
        for r in records
    ]


def _write_residents(session: Session, actor: Actor, rows: list[_Row], progress: Progress | None) -> int:
    if not rows:
        return 0
    protector = get_protector()
    grids = sorted({r.grid for r in rows if r.grid})
    buildings = {
        (b.area_code, b.address): b
        for b in session.scalars(select(Building).where(Building.area_code.in_(grids)))
    }
    new_buildings = []
    for row in rows:
        key = (row.grid or "", row.values["address"])
        if key not in buildings:
            b = Building(area_code=key[0], address=key[1], lon=row.values["lon"], lat=row.values["lat"])
            buildings[key] = b
            new_buildings.append(b)
    session.add_all(new_buildings)
    session.flush()
    ids = [b.id for b in buildings.values()]
    households = {
        (h.building_id, h.room): h
        for h in session.scalars(select(Household).where(Household.building_id.in_(ids)))
    }
    wanted: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        b = buildings[(row.grid or "", row.values["address"])]
        room_key = (b.id, str(row.values["room"]))
        if room_key not in households and room_key not in wanted:
            wanted[room_key] = {
                "area_code": b.area_code,
                "building_id": b.id,
                "room": room_key[1],
                "kind": row.values["household_kind"],
                "notes": "",
                "is_active": True,
            }
    new_households: list[Any] = []
    if wanted:
        stmt = insert(Household).returning(
            Household.id, Household.area_code, Household.building_id, Household.room
        )
        new_households = list(session.execute(stmt, list(wanted.values())))
    hh_ids = {(h.building_id, h.room): h.id for h in households.values()}
    hh_ids |= {(h.building_id, h.room): h.id for h in new_households}
    values = []
    for i, row in enumerate(rows):
        v = row.values
        b = buildings[(row.grid or "", v["address"])]
        household_id = hh_ids[(b.id, v["room"])]
        fields = protected_person_fields(
            protector, name=v["name"], id_number=v["id_number"], phone=v["phone"]
        )
        values.append(
            {
                "area_code": b.area_code,
                "household_id": household_id,
                "category": v["category"],
                "care_tags": v["care_tags"],
                "relation": v["relation"],
                "is_active": True,
                **fields,
            }
        )
        if progress and i % 500 == 0:
            progress(i, len(rows))
    # Core bulk insert (one round trip per batch) with RETURNING for the history rows.
    residents = list(session.execute(insert(Resident).returning(Resident.id, Resident.area_code), values))
    history = _history_rows(actor, "building", new_buildings) + _history_rows(
        actor, "household", new_households
    )
    history += _history_rows(actor, "resident", residents)
    session.execute(insert(RecordChange), history)
    if progress:
        progress(len(rows), len(rows))
    return len(residents)


def _write_places(session: Session, actor: Actor, rows: list[_Row], progress: Progress | None) -> int:
    protector = get_protector()
    places = []
    for row in rows:
        v = row.values
        places.append(
            Place(
                area_code=row.grid,
                place_type=v["place_type"],
                name=v["name"],
                address=v["address"],
                lon=v["lon"],
                lat=v["lat"],
                responsible_name_enc=encrypt_optional(protector, v["responsible_name"]),
                responsible_name_masked=mask_name(v["responsible_name"]),
                responsible_phone_enc=encrypt_optional(protector, v["responsible_phone"]),
                responsible_phone_masked=mask_phone(v["responsible_phone"]),
                status=v["status"],
                attributes={},
            )
        )
    session.add_all(places)
    session.flush()
    if places:
        session.execute(insert(RecordChange), _history_rows(actor, "place", places))
    if progress:
        progress(len(rows), len(rows))
    return len(places)


def error_workbook(kind: str, rows: list[_Row], errors: dict[int, list[RowError]]) -> bytes:
    """The rejected rows as they were given, plus the row number and an error column."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{kind}-errors"
    columns = COLUMNS[kind]
    ws.append(["行号|row"] + [f"{label}|{key}" for key, label in columns] + ["错误|error"])
    for row in rows:
        message = "; ".join(f"{e.field}: {e.message}" for e in errors[row.number])
        ws.append(_sheet_row([row.number] + [row.raw.get(key, "") for key, _ in columns] + [message]))
    return _xlsx_bytes(wb)


# --- export -----------------------------------------------------------------------------------------------


def export_register(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    fmt: str = "xlsx",
    area_code: str | None = None,
    place_type: str | None = None,
    full: bool = False,
    reason: str = "",
) -> tuple[bytes, int]:
    """The register of the actor's scope as a file (masked, or full values for a stated reason); audited."""
    kind = _kind(kind)
    if fmt not in ("xlsx", "csv"):
        raise ValidationFailed("format must be xlsx or csv", field="format")
    if full:
        require_role(actor, *WRITE_ROLES)
        pii_service.check_reason(reason)
    if kind == "residents":
        rows = _resident_rows(session, actor, area_code, full)
    else:
        rows = _place_rows(session, actor, area_code, place_type, full)
    pii_service.audit_bulk_read(
        session,
        actor,
        subject_type=f"grid_{kind}",
        count=len(rows),
        fields=PII_FIELDS[kind],
        area_code=area_code,
        export=full,
        reason=reason or None,
        filters={"format": fmt, "full": full, "place_type": place_type},
    )
    headers = [f"{label}|{key}" for key, label in _export_columns(kind)]
    if fmt == "csv":
        return _csv_bytes([headers, *rows]), len(rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(kind)
    ws.append(headers)
    for row in rows:
        ws.append(_sheet_row(row))
    return _xlsx_bytes(wb), len(rows)


def _resident_rows(session: Session, actor: Actor, area_code: str | None, full: bool) -> list[list[Any]]:
    """One row per resident in scope with its flat and building, read in one statement (a district's 270,000
    residents in seconds, not as objects)."""
    r = Resident
    personal = (
        (r.name_enc, r.id_number_enc, r.phone_enc)
        if full
        else (r.name_masked, r.id_number_masked, r.phone_masked)
    )
    stmt = (
        list_residents(session, actor, area_code=area_code)
        .with_only_columns(
            r.area_code,
            Building.address,
            Building.lon,
            Building.lat,
            Household.room,
            Household.kind,
            *personal,
            r.category,
            r.care_tags,
            r.relation,
            maintain_column_froms=False,
        )
        .select_from(r)
        .outerjoin(Household, Household.id == r.household_id)
        .outerjoin(Building, Building.id == Household.building_id)
    )
    protector = get_protector() if full else None
    out = []
    for area, address, lon, lat, room, kind, name, idn, phone, category, tags, relation in session.execute(
        stmt
    ):
        if protector:
            name, idn, phone = (
                protector.decrypt(name),
                protector.decrypt(idn),
                decrypt_optional(protector, phone) or "",
            )
        out.append(
            [
                area,
                address or "",
                "" if lon is None else lon,
                "" if lat is None else lat,
                room or "",
                kind or "",
                name,
                idn,
                phone,
                category,
                ",".join(tags or []),
                relation,
            ]
        )
    return out


# An export also names each place's type in Chinese and English (after its code; an import ignores them).
PLACE_TYPE_NAMES = [("place_type_zh", "场所类型名称"), ("place_type_en", "place type name")]


def _export_columns(kind: str) -> list[tuple[str, str]]:
    columns = list(COLUMNS[kind])
    if kind == "places":
        at = [key for key, _ in columns].index("place_type") + 1
        columns[at:at] = PLACE_TYPE_NAMES
    return columns


def _place_rows(
    session: Session, actor: Actor, area_code: str | None, place_type: str | None, full: bool
) -> list[list[Any]]:
    protector = get_protector() if full else None
    types = by_code()
    out = []
    for p in session.scalars(places_query(session, actor, place_type=place_type, area_code=area_code)):
        if protector:
            person = decrypt_optional(protector, p.responsible_name_enc) or ""
            phone = decrypt_optional(protector, p.responsible_phone_enc) or ""
        else:
            person, phone = p.responsible_name_masked, p.responsible_phone_masked
        known = types.get(p.place_type)
        names = [known.name_zh, known.name_en] if known else [p.place_type, p.place_type]
        out.append(
            [p.area_code, p.place_type, *names, p.name, p.address, p.lon, p.lat, person, phone, p.status]
        )
    return out
