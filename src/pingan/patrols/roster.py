"""Roster import from Excel (.xlsx) or CSV with row-level errors, and the import template."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.audit import service as audit
from pingan.core.errors import PinganError, ValidationFailed
from pingan.core.pii import get_protector
from pingan.core.security import Actor, ensure_in_scope, require_role
from pingan.core.validation import export_cell
from pingan.patrols.common import MANAGE_ROLES
from pingan.patrols.models import PatrolTeam, PatrolVolunteer
from pingan.patrols.phones import register_phones
from pingan.patrols.volunteers import (
    VolunteerInput,
    bulk_insert_volunteers,
    clean_status,
    create_team,
    protected_row,
    validate_input,
)

Progress = Callable[[int, int], None]

COLUMNS = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "id_number"),
    "phone": ("手机号", "手机", "电话", "phone"),
    "community": ("社区", "community"),
    "team": ("队伍", "巡防队", "team"),
    "skills": ("技能", "skills"),
    "device_id": ("设备号", "定位设备号", "device_id"),
    "status": ("状态", "status"),
    "joined_on": ("加入日期", "joined_on"),
}
TEMPLATE_HEADERS = ["姓名", "身份证号", "手机号", "社区", "队伍", "技能", "设备号", "状态", "加入日期"]
MAX_ROWS = 100_000


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class RosterReport:
    rows: int
    imported: int
    teams_created: int
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "teams_created": self.teams_created,
            "errors": [e.to_dict() for e in self.errors],
        }

    def error_csv(self) -> str:
        """The errors as a CSV file (row, field, message) to fix and re-import."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["row", "field", "message"])
        for e in self.errors:
            writer.writerow([export_cell(e.row), export_cell(e.field), export_cell(e.message)])
        return buf.getvalue()


def template_xlsx() -> bytes:
    """An empty roster workbook with the expected headers and one example row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "巡防队员"
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(
        [
            "张三",
            "33010819900307001X",
            "13800001234",
            "月明社区",
            "月明社区巡防队",
            "急救、消防",
            "",
            "在岗",
            "2026-01-01",
        ]
    )
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def read_table(data: bytes, filename: str) -> list[list[Any]]:
    """Rows of the first sheet (xlsx) or of a CSV file (UTF-8 with or without BOM, or GB18030)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for broken files
            raise ValidationFailed(f"not a readable .xlsx workbook: {exc}", field="file") from None
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationFailed("CSV must be UTF-8 or GB18030 text", field="file")
        try:  # newline="": the csv module itself reads CRLF, LF and lone CR line ends
            return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as exc:  # a NUL byte (a binary file named .csv), a broken quote …
            raise ValidationFailed(f"not a readable CSV file: {exc}", field="file") from None
    raise ValidationFailed("roster file must be .xlsx or .csv", field="file")


def _header_map(header: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        text = str(cell or "").strip().lower()
        for key, names in COLUMNS.items():
            if text in {n.lower() for n in names}:
                found[key] = i
    missing = [COLUMNS[k][0] for k in ("name", "id_number", "phone", "community") if k not in found]
    if missing:
        raise ValidationFailed(f"the header row lacks the column(s): {', '.join(missing)}", field="file")
    return found


def _cell(row: list[Any], index: int | None) -> str:
    if index is None or index >= len(row) or row[index] is None:
        return ""
    value = row[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def import_roster(
    session: Session,
    actor: Actor,
    *,
    data: bytes,
    filename: str,
    valid_only: bool = False,
    progress: Progress | None = None,
) -> RosterReport:
    """Validate every row; write nothing if any row is bad, unless ``valid_only`` (bad rows reported)."""
    require_role(actor, *MANAGE_ROLES)
    table = [r for r in read_table(data, filename) if any(c not in (None, "") for c in r)]
    if not table:
        raise ValidationFailed("the file is empty", field="file")
    if len(table) - 1 > MAX_ROWS:
        raise ValidationFailed(f"at most {MAX_ROWS} rows per import", field="file")
    cols = _header_map(table[0])
    communities = _communities(session)
    errors: list[RowError] = []
    good: list[tuple[int, VolunteerInput, str, str]] = []
    seen_ids: dict[str, int] = {}
    seen_devices: dict[str, int] = {}
    total = len(table) - 1
    for n, row in enumerate(table[1:], start=2):
        parsed = _parse_row(actor, n, row, cols, communities, errors)
        if parsed is None:
            continue
        data_in, community, team_name = parsed
        if data_in.id_number in seen_ids:
            errors.append(RowError(n, "id_number", f"same ID number as row {seen_ids[data_in.id_number]}"))
            continue
        if data_in.device_id and data_in.device_id in seen_devices:
            errors.append(
                RowError(n, "device_id", f"same device id as row {seen_devices[data_in.device_id]}")
            )
            continue
        seen_ids[data_in.id_number] = n
        if data_in.device_id:
            seen_devices[data_in.device_id] = n
        good.append((n, data_in, community, team_name))
        if progress and n % 500 == 0:
            progress(n, total * 2)
    protector = get_protector()
    prepared = _check_existing(session, good, protector, errors)
    errors.sort(key=lambda e: e.row)
    if errors and not valid_only:
        raise ValidationFailed(
            f"roster refused: {len(errors)} problem(s); first: row {errors[0].row} {errors[0].field}: "
            f"{errors[0].message}",
            code="invalid_roster",
            field="file",
            details=[e.to_dict() for e in errors],
        )
    teams, created = _teams_for(session, actor, [(c, t) for _, _, c, t, _ in prepared])
    rows: list[dict[str, Any]] = []
    for i, (_n, data_in, community, team_name, index) in enumerate(prepared):
        record = protected_row(data_in, protector, team=teams[(community, team_name)])
        record["id_number_index"] = index
        rows.append(record)
        if progress and i % 500 == 0:
            progress(total + i, total * 2)
    imported = bulk_insert_volunteers(session, rows)
    register_phones(session, device_ids=[r["device_id"] for r in rows if r.get("device_id")])
    audit.record(
        session,
        actor,
        action="patrols.roster_import",
        subject_type="patrol_volunteer",
        details={"file": filename, "rows": total, "imported": imported, "errors": len(errors)},
    )
    if progress:
        progress(total * 2, total * 2)
    return RosterReport(rows=total, imported=imported, teams_created=created, errors=errors)


def _communities(session: Session) -> dict[str, str]:
    """Community name or code → code."""
    out: dict[str, str] = {}
    for area in areas.list_areas(session):
        if area.level == "community":
            out[area.code] = area.code
            out.setdefault(area.name, area.code)
    return out


def _parse_row(
    actor: Actor,
    n: int,
    row: list[Any],
    cols: dict[str, int],
    communities: dict[str, str],
    errors: list[RowError],
) -> tuple[VolunteerInput, str, str] | None:
    community_text = _cell(row, cols.get("community"))
    community = communities.get(community_text)
    if community is None:
        errors.append(RowError(n, "community", f"unknown community {community_text!r}"))
        return None
    if not actor.can_see_area(community, MANAGE_ROLES):
        errors.append(RowError(n, "community", f"{community_text} is outside your area"))
        return None
    status_text = _cell(row, cols.get("status"))
    joined_text = _cell(row, cols.get("joined_on"))
    try:
        joined = date.fromisoformat(joined_text[:10]) if joined_text else None
    except ValueError:
        errors.append(RowError(n, "joined_on", "date must be YYYY-MM-DD"))
        return None
    skills_text = _cell(row, cols.get("skills"))
    for separator in ("，", "、", ";", "；"):
        skills_text = skills_text.replace(separator, ",")
    try:
        data_in = validate_input(
            name=_cell(row, cols["name"]),
            id_number=_cell(row, cols["id_number"]),
            phone=_cell(row, cols["phone"]),
            skills=[s for s in skills_text.split(",") if s.strip()],
            device_id=_cell(row, cols.get("device_id")),
            status=clean_status(status_text),
            joined_on=joined,
        )
    except PinganError as exc:
        errors.append(RowError(n, exc.field or "row", exc.message))
        return None
    team_name = (
        _cell(row, cols.get("team"))
        or f"{community_text if not community_text.isdigit() else community}巡防队"
    )
    return data_in, community, team_name


def _check_existing(
    session: Session,
    good: list[tuple[int, VolunteerInput, str, str]],
    protector: Any,
    errors: list[RowError],
) -> list[tuple[int, VolunteerInput, str, str, str]]:
    indexes = {protector.blind_index(d.id_number): n for n, d, _, _ in good}
    taken: set[str] = set()
    keys = list(indexes)
    for start in range(0, len(keys), 500):
        taken.update(
            session.scalars(
                select(PatrolVolunteer.id_number_index).where(
                    PatrolVolunteer.id_number_index.in_(keys[start : start + 500])
                )
            )
        )
    devices = [d.device_id for _, d, _, _ in good if d.device_id]
    used: set[str] = set()
    for start in range(0, len(devices), 500):
        used.update(
            d
            for d in session.scalars(
                select(PatrolVolunteer.device_id).where(
                    PatrolVolunteer.device_id.in_(devices[start : start + 500])
                )
            )
            if d
        )
    out = []
    for n, d, community, team in good:
        index = protector.blind_index(d.id_number)
        if index in taken:
            errors.append(RowError(n, "id_number", "a volunteer with this ID number is already registered"))
        elif d.device_id and d.device_id in used:
            errors.append(RowError(n, "device_id", f"device {d.device_id} is bound to another volunteer"))
        else:
            out.append((n, d, community, team, index))
    return out


def _teams_for(
    session: Session, actor: Actor, wanted: list[tuple[str, str]]
) -> tuple[dict[tuple[str, str], PatrolTeam], int]:
    teams = {(t.area_code, t.name): t for t in session.scalars(select(PatrolTeam))}
    created = 0
    for community, name in dict.fromkeys(wanted):
        if (community, name) not in teams:
            ensure_in_scope(actor, community, what="community", roles=MANAGE_ROLES)
            teams[(community, name)] = create_team(session, actor, area_code=community, name=name)
            created += 1
    return teams, created
