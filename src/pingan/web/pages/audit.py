"""The auditor's page: search the audit trail (who saw or changed what); the data of ``GET /api/v1/audit``.

Filters stay in the URL (shareable, back-button safe): who, action (exact or a prefix such as ``pii.``),
subject (``type`` or ``type:id``), area, and a day range read in Asia/Shanghai; 50 records a page.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pingan.audit import service
from pingan.audit.models import AuditRecord
from pingan.core.clock import LOCAL_TZ
from pingan.core.errors import PinganError, ValidationFailed
from pingan.core.security import Role
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import render, require_staff

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
FILTERS = ("who", "action", "subject", "area", "since", "until")
ACTION_HINTS = ("pii.", "pii.reveal", "pii.search", "pii.export", "account.", "role.", "token.", "case.")


def _day(value: str, field: str, *, end: bool = False) -> datetime | None:
    """A day typed in the form (Asia/Shanghai) as the UTC instant it starts (``end``: the next one's)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{field}: a date such as 2026-11-29", field=field) from None
    return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=LOCAL_TZ)


def _query(f: dict[str, str]) -> service.AuditQuery:
    subject_type, _, subject_id = f["subject"].partition(":")
    area = f["area"]
    if area and not area.isdigit():
        raise ValidationFailed("area: an area code such as 330108002", field="area")
    return service.AuditQuery(
        who=f["who"] or None,
        action=f["action"] or None,
        subject_type=subject_type or None,
        subject_id=subject_id or None,
        area_code=area or None,
        since=_day(f["since"], "since"),
        until=_day(f["until"], "until", end=True),
    )


@router.get("/audit")
def audit_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """Search the audit trail within the auditor's scope, newest first."""
    who = require_staff(actor, Role.AUDITOR)
    f = {k: request.query_params.get(k, "").strip()[:100] for k in FILTERS}
    raw_page = request.query_params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    rows: list[AuditRecord] = []
    total, error, error_field = 0, "", ""
    try:
        rows, total = service.search_records(
            session, who, query=_query(f), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    except PinganError as exc:
        error, error_field = exc.message, exc.field or ""
    base = {k: v for k, v in f.items() if v}
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    return render(
        request,
        "audit.html",
        who,
        status_code=422 if error else 200,
        filters=f,
        records=[(r, json.dumps(r.details or {}, ensure_ascii=False, sort_keys=True)) for r in rows],
        total=total,
        page=page,
        pages=pages,
        error=error,
        error_field=error_field,
        action_hints=ACTION_HINTS,
        prev_url=f"/audit?{urlencode({**base, 'page': page - 1})}" if page > 1 else None,
        next_url=f"/audit?{urlencode({**base, 'page': page + 1})}" if page < pages else None,
    )
