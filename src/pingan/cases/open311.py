"""Open311 GeoReport v2 on top of the cases service: catalogue, requests in and out, status mapping.

Everything here speaks plain dicts; :mod:`pingan.cases.open311_api` renders them as JSON or XML.
Service codes are our 4-digit category codes; request ids are case numbers; times carry +08:00.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.cases import intake, routing, service
from pingan.cases.models import Case, CaseEvent, Category, State
from pingan.cases.public import PUBLIC_STATE
from pingan.core.clock import to_local, utcnow
from pingan.core.errors import NotFound, PinganError, ValidationFailed
from pingan.core.pii import normalise_phone
from pingan.core.validation import MAX_PAGE_NUMBER, check_text, xml_safe
from pingan.units import service as units_service

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_WINDOW = timedelta(days=90)
MAX_ROWS = 1000
CLOSED = (State.CLOSED.value, State.REJECTED.value, State.MERGED.value)


class Open311Error(Exception):
    """An error in the spec's shape: HTTP status plus a list of {code, description}."""

    def __init__(self, status: int, description: str, code: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.errors = [{"code": code or status, "description": description}]


def from_domain(exc: PinganError) -> Open311Error:
    """Map our errors onto 400 / 403 / 404 as the spec wants (the field named in the description)."""
    status = {401: 403, 403: 403, 404: 404}.get(exc.status, 400)
    field = f"{exc.field}: " if exc.field else ""
    return Open311Error(status, f"{field}{exc.message}", code=exc.status)


def _ts(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value else None


def discovery(base_url: str) -> dict[str, Any]:
    """The service discovery document."""
    return {
        "changeset": "2026-11-29T00:00:00+08:00",
        "contact": "滨江区综合指挥中心 command centre",
        "key_service": "Ask the district command centre for an Open311 API key.",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base_url,
                "changeset": "2026-11-29T00:00:00+08:00",
                "type": kind,
                "formats": ["text/xml", "application/json"],
            }
            for kind in ("production", "test")
        ],
    }


def services(session: Session) -> list[dict[str, Any]]:
    """The public minor categories as Open311 services."""
    majors = {c.code: c.name_zh for c in routing.list_categories(session) if c.parent_code is None}
    return [
        {
            "service_code": c.code,
            "service_name": c.name_zh,
            "description": c.description or f"{c.name_zh} ({c.name_en})",
            "metadata": bool(c.attributes),
            "type": "realtime",
            "keywords": ", ".join(k for k in (c.name_en, c.keywords) if k),
            "group": majors.get(c.parent_code or "", ""),
        }
        for c in routing.list_categories(session, public_only=True)
        if c.parent_code is not None
    ]


def _public_category(session: Session, code: str) -> Category:
    cat = session.get(Category, code) if code else None
    if cat is None or not cat.is_public or not cat.is_active or cat.parent_code is None:
        raise Open311Error(404, f"service_code {code!r} is unknown")
    return cat


def service_definition(session: Session, code: str) -> dict[str, Any]:
    cat = _public_category(session, code)
    return {"service_code": cat.code, "attributes": list(cat.attributes or [])}


_ATTR = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def create_request(
    session: Session, form: list[tuple[str, Any]], files: list[tuple[str, bytes]], *, jurisdiction: str | None
) -> list[dict[str, Any]]:
    """POST /requests: validate the key and fields, raise the case, answer with its number."""
    values: dict[str, str] = {}
    attributes: dict[str, Any] = {}
    for key, value in form:
        if not isinstance(value, str):
            continue
        _check_text(key, value)
        match = _ATTR.match(key)
        if match:
            if match.group(2):
                attributes.setdefault(match.group(1), []).append(value)
            else:
                attributes[match.group(1)] = value
        else:
            values[key] = value.strip()
    account = _client(session, values.get("api_key"))
    code = values.get("service_code", "")
    if not code:
        raise Open311Error(400, "service_code is required")
    cat = _public_category(session, code)
    lat, lon = values.get("lat", ""), values.get("long", "")
    if bool(lat) != bool(lon):
        raise Open311Error(400, "lat and long must be sent together")
    flat: float | None = None
    flon: float | None = None
    if lat:
        try:
            flat, flon = float(lat), float(lon)
        except ValueError:
            raise Open311Error(400, "lat and long must be decimal degrees (WGS-84)") from None
    elif not values.get("address_string"):  # located from the district's address register instead
        raise Open311Error(400, "lat and long, or address_string, are required")
    _check_required_attributes(cat, attributes)
    name = " ".join(p for p in (values.get("last_name", ""), values.get("first_name", "")) if p) or None
    description = values.get("description", "") or cat.name_zh
    media_url = values.get("media_url") or None
    if media_url and not re.match(r"^https?://", media_url):
        raise Open311Error(400, "media_url must be an http(s) URL")
    phone, notice = _phone(values.get("phone", ""))
    actor = accounts.actor_for(account)
    try:
        case = service.submit_report(
            session,
            actor,
            category_code=cat.code,
            description=description,
            source="open311",
            lon=flon,
            lat=flat,
            address=values.get("address_string", "")[:200],
            reporter_name=name,
            reporter_phone=phone,
            attributes={**attributes, **({"email": "provided"} if values.get("email") else {})},
            media_url=media_url,
            source_ref=values.get("device_id") or values.get("account_id") or None,
            files=files,
        )
    except PinganError as exc:
        if exc.field == "lon":
            raise Open311Error(400, f"lat/long: {exc.message}") from None
        if exc.field == "reporter_phone":
            raise Open311Error(400, f"phone: {exc.message}") from None
        raise
    case.entered_by_id, case.reporter_account_id = account.id, None
    session.flush()
    return [
        {
            "service_request_id": case.number,
            "service_notice": f"已受理，预计 {_ts(case.close_due_at)} 前办结{notice}",
            "account_id": values.get("account_id") or None,
        }
    ]


def check_parameters(params: dict[str, str]) -> None:
    """Query and path parameters under the shared text rule, refused in the spec's shape."""
    for key, value in params.items():
        _check_text(key, value)


def _check_text(key: str, value: str) -> None:
    """Form fields under the shared text rule (no control character: XML 1.0 could not carry it)."""
    try:
        check_text(key, field="field name")
        check_text(value, field=key)
    except ValidationFailed as exc:
        raise Open311Error(400, exc.message) from None


def _phone(value: str) -> tuple[str | None, str]:
    """The reporter's phone when it is a number we can store (mainland or international), else None and a
    notice for the answer: a number we cannot read never costs the report itself."""
    if not value:
        return None, ""
    try:
        return normalise_phone(value, field="phone"), ""
    except ValidationFailed:
        return None, "；电话号码无法识别，未保存 (phone not recognised, not stored)"


def _check_required_attributes(cat: Category, attributes: dict[str, Any]) -> None:
    for attr in cat.attributes or []:
        if attr.get("variable") and attr.get("required") and not attributes.get(attr.get("code")):
            raise Open311Error(400, f"attribute[{attr.get('code')}] is required for service {cat.code}")
        allowed = {v.get("key") for v in attr.get("values") or []}
        given = attributes.get(attr.get("code"))
        if allowed and given:
            for item in given if isinstance(given, list) else [given]:
                if item not in allowed:
                    raise Open311Error(
                        400, f"attribute[{attr.get('code')}]: {item!r} is not an allowed value"
                    )


def request_element(
    case: Case, units: dict[int, str], *, extensions: bool = False, notes: Any = None
) -> dict[str, Any]:
    """One request in the spec's shape (no personal data)."""
    element: dict[str, Any] = {
        "service_request_id": case.number,
        "status": "closed" if case.state in CLOSED else "open",
        "status_notes": PUBLIC_STATE.get(case.state, case.state),
        "service_name": case.title.split("：")[0],
        "service_code": case.category_code,
        "description": case.description,
        "agency_responsible": units.get(case.owner_unit_id or 0, ""),
        "service_notice": "",
        "requested_datetime": _ts(case.reported_at),
        "updated_datetime": _ts(
            case.closed_at if case.state in CLOSED and case.closed_at else case.updated_at
        ),
        "expected_datetime": _ts(case.close_due_at),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lon,
        "media_url": case.media_url or "",
    }
    if extensions:
        element["extended_attributes"] = {
            "state": case.state,
            "area_code": case.area_code,
            "channel": case.source,
        }
        element["notes"] = notes or []
    return element


def _parse_time(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{field} must be a W3C datetime, e.g. 2026-03-08T09:30:00+08:00") from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{field} needs a time zone offset")
    return parsed


def list_requests(session: Session, params: dict[str, str]) -> list[dict[str, Any]]:
    """GET /requests with the spec's filters plus the page/page_size extension."""
    stmt = (
        select(Case).join(Category, Category.code == Case.category_code).where(Category.is_public.is_(True))
    )
    ids = [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        stmt = stmt.where(Case.number.in_(ids[:MAX_ROWS]))
    else:
        codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
        if codes:
            stmt = stmt.where(Case.category_code.in_(codes))
        now = utcnow()
        end = _parse_time(params["end_date"], "end_date") if params.get("end_date") else now
        start = (
            _parse_time(params["start_date"], "start_date") if params.get("start_date") else end - MAX_WINDOW
        )
        if params.get("start_date") and not params.get("end_date"):
            end = min(start + MAX_WINDOW, now)
        if start > end:
            raise Open311Error(400, "start_date must be before end_date")
        if end - start > MAX_WINDOW:
            raise Open311Error(400, "start_date and end_date may span at most 90 days")
        stmt = stmt.where(Case.reported_at >= start, Case.reported_at <= end)
        statuses = {s.strip() for s in params.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open and/or closed")
        if statuses == {"open"}:
            stmt = stmt.where(Case.state.not_in(CLOSED))
        elif statuses == {"closed"}:
            stmt = stmt.where(Case.state.in_(CLOSED))
    page, size = _paging(params)
    cases = session.scalars(
        stmt.order_by(Case.reported_at.desc(), Case.id.desc()).offset((page - 1) * size).limit(size)
    ).all()
    return _elements(session, list(cases), extensions=params.get("extensions") == "true")


def _paging(params: dict[str, str]) -> tuple[int, int]:
    try:
        page = int(params.get("page") or 1)
        size = int(params.get("page_size") or MAX_ROWS)
    except ValueError:
        raise Open311Error(400, "page and page_size must be whole numbers") from None
    if not 1 <= page <= MAX_PAGE_NUMBER or not 1 <= size <= MAX_ROWS:
        raise Open311Error(400, f"page starts at 1; page_size is 1–{MAX_ROWS}")
    return page, size


def _elements(session: Session, cases: list[Case], *, extensions: bool) -> list[dict[str, Any]]:
    unit_ids = {c.owner_unit_id for c in cases if c.owner_unit_id}
    units = {u.id: u.name for u in units_service.units_by_id(session, unit_ids).values()}
    out = []
    for case in cases:
        notes = None
        if extensions:
            notes = [
                {
                    "datetime": _ts(e.at),
                    "description": service.public_text(e) or PUBLIC_STATE.get(e.to_state or "", e.action),
                    "type": e.action,
                }
                for e in service.timeline(session, _system(), case_id=case.id, public_only=True)
            ]
        out.append(request_element(case, units, extensions=extensions, notes=notes))
    return out


def _system() -> Any:
    from pingan.core.security import Actor

    return Actor.system("open311")


def _public_case(session: Session, number: str) -> Case:
    case = session.scalar(
        select(Case)
        .join(Category, Category.code == Case.category_code)
        .where(Case.number == number, Category.is_public.is_(True))
    )
    if case is None:
        raise Open311Error(404, f"service_request_id {number!r} is unknown")
    return case


def get_request(session: Session, number: str, *, extensions: bool = False) -> list[dict[str, Any]]:
    case = _public_case(session, number)
    return _elements(session, [case], extensions=extensions)


def token_lookup(session: Session, token: str) -> list[dict[str, Any]]:
    """GET /tokens/{token}: our requests are realtime, but a tracking token still maps to its request id."""
    digest = intake.tracking_digest(token)
    number = session.scalar(select(Case.number).where(Case.tracking_digest == digest))
    if number is None:
        raise Open311Error(404, "token is unknown")
    return [{"service_request_id": number, "token": token}]


def count_public(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Case)) or 0)


# --- XML ----------------------------------------------------------------------------------------------------

_SINGULAR = {
    "attributes": "attribute",
    "values": "value",
    "formats": "format",
    "endpoints": "endpoint",
    "notes": "note",
}


def _xml_value(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml_value(k, v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, list):
        child = _SINGULAR.get(tag, "item")
        return f"<{tag}>" + "".join(_xml_value(child, v) for v in value) + f"</{tag}>"
    if value is None:
        return f"<{tag}></{tag}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(xml_safe(str(value)))}</{tag}>"


def to_xml(root: str, item: str | None, data: Any) -> str:
    """The XML form of a response (lists wrapped in ``root`` with one ``item`` element each)."""
    head = '<?xml version="1.0" encoding="utf-8"?>'
    if item is None:
        return head + _xml_value(root, data)
    return head + f"<{root}>" + "".join(_xml_value(item, d) for d in data) + f"</{root}>"


def domain_error(exc: PinganError) -> Open311Error:
    return from_domain(exc)


__all__ = ["NotFound", "Open311Error", "ValidationFailed"]


# --- mySociety's service request updates (how FixMyStreet keeps in step with a back-end) -------------------

UPDATE_STATUS = {  # our states in the extension's upper-case vocabulary
    State.REPORTED.value: "OPEN",
    State.REGISTERED.value: "OPEN",
    State.DISPATCHED.value: "INVESTIGATING",
    State.IN_PROGRESS.value: "IN_PROGRESS",
    State.HANDLED.value: "ACTION_SCHEDULED",
    State.VERIFIED.value: "FIXED",
    State.CLOSED.value: "CLOSED",
    State.REJECTED.value: "NOT_COUNCILS_RESPONSIBILITY",
    State.MERGED.value: "DUPLICATE",
    State.SUSPENDED.value: "INVESTIGATING",
    State.RETURNED.value: "FOR_TRIAGE",
}
UPDATE_STATUSES = frozenset(
    ("OPEN", "INVESTIGATING", "IN_PROGRESS", "ACTION_SCHEDULED", "FIXED", "DUPLICATE",
     "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION", "INTERNAL_REFERRAL", "FOR_TRIAGE", "CLOSED",
     "CANCELLED", "REOPEN")
)  # fmt: skip
EXTERNAL_UPDATE = "open311_update"


def _client(session: Session, api_key: str | None) -> Any:
    if not api_key:
        raise Open311Error(403, "api_key is required")
    try:
        return accounts.account_for_token(session, api_key, kinds=("open311",))
    except PinganError:
        raise Open311Error(403, "api_key is invalid or expired") from None


def list_updates(session: Session, params: dict[str, str]) -> list[dict[str, Any]]:
    """GET /servicerequestupdates: the public steps of public requests in a window (default the last 24 h,
    at most 90 days), oldest first — what a front-end polls to show a request's progress."""
    _client(session, params.get("api_key"))
    now = utcnow()
    end = _parse_time(params["end_date"], "end_date") if params.get("end_date") else now
    start = (
        _parse_time(params["start_date"], "start_date")
        if params.get("start_date")
        else end - timedelta(days=1)
    )
    if start > end:
        raise Open311Error(400, "start_date must be before end_date")
    if end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date and end_date may span at most 90 days")
    page, size = _paging(params)
    rows = session.execute(
        select(CaseEvent, Case.number, Case.state, Case.media_url)
        .join(Case, Case.id == CaseEvent.case_id)
        .join(Category, Category.code == Case.category_code)
        .where(
            Category.is_public.is_(True),
            CaseEvent.is_public.is_(True),
            CaseEvent.at >= start,
            CaseEvent.at <= end,
        )
        .order_by(CaseEvent.at, CaseEvent.id)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return [
        {
            "update_id": str(event.id),
            "service_request_id": number,
            "status": UPDATE_STATUS.get(event.to_state or state, "OPEN"),
            "updated_datetime": _ts(event.at),
            "description": service.public_text(event) or PUBLIC_STATE.get(event.to_state or "", event.action),
            "media_url": media_url or "" if event.action == "report" else "",
        }
        for event, number, state, media_url in rows
    ]


def post_update(session: Session, form: dict[str, str]) -> list[dict[str, Any]]:
    """POST /servicerequestupdates: a comment from the front-end's side (a resident's "still broken", a
    council note), added to the case's public timeline. The case's state is the operators' to change: a
    status sent here is recorded with the comment, not applied. The sender's name, email and phone are not
    stored (the front-end keeps its users). Sending the same update_id again answers with the stored one."""
    account = _client(session, form.get("api_key"))
    number = form.get("service_request_id", "")
    if not number:
        raise Open311Error(400, "service_request_id is required")
    external_id = form.get("update_id", "")
    if not external_id:
        raise Open311Error(400, "update_id is required")
    for key, value in form.items():
        _check_text(key, value)
    description = form.get("description", "")
    if not description:
        raise Open311Error(400, "description is required")
    if len(description) > 2000:
        raise Open311Error(400, "description is longer than 2000 characters")
    status = (form.get("status") or "OPEN").upper()
    if status not in UPDATE_STATUSES:
        raise Open311Error(400, f"status must be one of {', '.join(sorted(UPDATE_STATUSES))}")
    if form.get("updated_datetime"):
        _parse_time(form["updated_datetime"], "updated_datetime")
    case = _public_case(session, number)
    source = f"{account.id}:{external_id}"
    for event in session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == EXTERNAL_UPDATE)
    ):
        if event.details.get("source") == source:
            return [{"update_id": str(event.id)}]
    event = service.add_event(
        session,
        case,
        accounts.actor_for(account),
        action=EXTERNAL_UPDATE,
        note=description,
        is_public=True,
        details={"source": source, "status": status, "updated_datetime": form.get("updated_datetime")},
    )
    session.flush()
    return [{"update_id": str(event.id)}]
