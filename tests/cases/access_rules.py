"""Access rules of the cases routes (imported by tests/security/access_rules.py)."""

from __future__ import annotations

from datetime import timedelta

from pingan.cases import service, workflow
from pingan.cases.models import Case, Reminder
from pingan.core.clock import utcnow
from pingan.core.security import Actor, Role
from tests.cases.conftest import JPEG
from tests.cases.helpers import point_in
from tests.security.access_rules import ADMIN, AUTHENTICATED, PUBLIC, ROLE, SCOPED, Ctx, Target, rule

VIEW = (
    Role.DISTRICT_ADMIN,
    Role.STREET_OPERATOR,
    Role.DEPARTMENT_HANDLER,
    Role.GRID_WORKER,
    Role.LIAISON_CADRE,
)
ACT = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.DEPARTMENT_HANDLER, Role.GRID_WORKER)
OPERATORS = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
REVEAL = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.DEPARTMENT_HANDLER)
SYSTEM = Actor.system("matrix")


def make_case(c: Ctx, area: str, *, photo: bool = False) -> Case:
    """A 暴露垃圾 case (owned by 城管) at a point of ``area``, with a reporter phone, registered and
    dispatched (a department handler sees only the cases dispatched to their unit)."""
    lon, lat = point_in(c.session, area)
    case = service.submit_report(
        c.session,
        SYSTEM,
        category_code="0102",
        description="matrix",
        source="resident_web",
        lon=lon,
        lat=lat,
        reporter_phone="13912345678",
        files=[("p.jpg", JPEG)] if photo else None,
    )
    for action in ("register", "dispatch"):
        workflow.transition(c.session, SYSTEM, case_id=case.id, action=action, note="")
    return case


def _case(path: str, *, photo: bool = False, **extra: object):  # type: ignore[no-untyped-def]
    def build(area_of):  # type: ignore[no-untyped-def]
        def _build(c: Ctx) -> Target:
            case = make_case(c, area_of(c), photo=photo)
            filled = path.replace("{case_id}", str(case.id)).replace("{number}", case.number)
            filled = filled.replace("{action}", "comment")
            if "{attachment_id}" in filled:
                filled = filled.replace(
                    "{attachment_id}", str(service.attachments_of(c.session, case.id)[0].id)
                )
            return Target(filled, case.area_code, unit_id=case.owner_unit_id, **extra)  # type: ignore[arg-type]

        return _build

    return build(lambda c: c.area_a), build(lambda c: c.area_b)


def _scoped(
    method: str, path: str, roles: tuple[Role, ...], *, ok: tuple[int, ...] = (200,), **extra: object
) -> None:
    photo = bool(extra.pop("photo", False))
    build, other = _case(path, photo=photo, **extra)
    rule(method, path, SCOPED, roles=roles, build=build, build_other=other, ok=ok)


def _closed_case(c: Ctx) -> tuple[Case, str]:
    case = make_case(c, c.area_a)
    token = case.tracking_token  # type: ignore[attr-defined]
    for action, note in (
        ("handle", "done"),
        ("verify", ""),
        ("close", ""),
    ):
        workflow.transition(c.session, SYSTEM, case_id=case.id, action=action, note=note)
    return case, token


def _reminder(area_of):  # type: ignore[no-untyped-def]
    def _build(c: Ctx) -> Target:
        case = make_case(c, area_of(c))
        reminder = Reminder(
            case_id=case.id,
            unit_id=case.owner_unit_id,
            area_code=case.area_code,
            kind="warning",
            stage="register",
            due_at=utcnow() + timedelta(minutes=5),
            created_at=utcnow(),
        )
        c.session.add(reminder)
        c.session.flush()
        return Target(f"/api/v1/case-reminders/{reminder.id}/ack", case.area_code, unit_id=case.owner_unit_id)

    return _build


def _rule_id(c: Ctx) -> int:
    from pingan.cases import routing

    return routing.save_rule(
        c.session, SYSTEM, category_prefix="0104", target="street_centre", note="matrix"
    ).id


def _snoozed(c: Ctx) -> str:
    key = c.unique("matrix:key:")
    service.snooze_key(c.session, SYSTEM, dedupe_key=key, minutes=5)
    return key


def _report_json(c: Ctx) -> dict[str, object]:
    lon, lat = point_in(c.session, c.area_a)
    return {
        "category_code": "0102",
        "description": "matrix",
        "lon": lon,
        "lat": lat,
        "reporter_phone": "13912345678",
    }


rule(
    "POST", "/api/v1/cases", PUBLIC, build=lambda c: Target("/api/v1/cases", json=_report_json(c)), ok=(201,)
)
rule(
    "POST",
    "/api/v1/cases/form",
    PUBLIC,
    build=lambda c: Target("/api/v1/cases/form", data={k: str(v) for k, v in _report_json(c).items()}),
    ok=(201,),
)
rule(
    "GET",
    "/api/v1/cases/nearby",
    PUBLIC,
    build=lambda c: Target(
        "/api/v1/cases/nearby",
        params=dict(zip(("lon", "lat"), point_in(c.session, c.area_a), strict=True))
        | {"category_code": "0102"},
    ),
)
rule("GET", "/api/v1/cases", AUTHENTICATED, build=lambda c: Target("/api/v1/cases", params={"limit": 5}))
rule(
    "POST",
    "/api/v1/cases/search",
    AUTHENTICATED,
    build=lambda c: Target("/api/v1/cases/search", json={"reporter_phone": "13912345678", "limit": 5}),
)
_scoped("GET", "/api/v1/cases/{case_id}", VIEW)
_scoped("GET", "/api/v1/cases/by-number/{number}", VIEW)
_scoped("GET", "/api/v1/cases/attachments/{attachment_id}", VIEW, photo=True)
_scoped("POST", "/api/v1/cases/{case_id}/actions/{action}", ACT, json={"note": "matrix"})
_scoped("POST", "/api/v1/cases/{case_id}/actions/{action}/form", ACT, data={"note": "matrix"})
_scoped(
    "POST", "/api/v1/cases/{case_id}/split", OPERATORS, ok=(201,), json={"description": "another problem"}
)
_scoped(
    "POST",
    "/api/v1/cases/{case_id}/reveal-reporter",
    REVEAL,
    json={"fields": ["phone"], "purpose": "contact", "reason": "call back the reporter"},
)


def _calendar_day(c: Ctx) -> str:
    from datetime import date

    from pingan.cases import workdays

    workdays.set_day(c.session, SYSTEM, day=date(2031, 1, 6), is_workday=False, note="matrix")
    return "2031-01-06"


rule("GET", "/api/v1/cases/calendar", ROLE, roles=OPERATORS, build=lambda c: Target("/api/v1/cases/calendar"))
rule(
    "PUT",
    "/api/v1/cases/calendar/{day}",
    ROLE,
    roles=ADMIN,
    build=lambda c: Target("/api/v1/cases/calendar/2031-01-06", json={"is_workday": False, "note": "matrix"}),
)
rule(
    "DELETE",
    "/api/v1/cases/calendar/{day}",
    ROLE,
    roles=ADMIN,
    build=lambda c: Target(f"/api/v1/cases/calendar/{_calendar_day(c)}"),
    ok=(204,),
)
rule("GET", "/api/v1/case-categories", PUBLIC, build=lambda c: Target("/api/v1/case-categories"))
rule(
    "PUT",
    "/api/v1/case-categories/{code}",
    ROLE,
    roles=ADMIN,
    build=lambda c: Target(
        "/api/v1/case-categories/0104", json={"name_zh": "道路不洁", "name_en": "Dirty road"}
    ),
)
rule(
    "GET",
    "/api/v1/case-routing/rules",
    ROLE,
    roles=OPERATORS,
    build=lambda c: Target("/api/v1/case-routing/rules"),
)
rule(
    "POST",
    "/api/v1/case-routing/rules",
    ROLE,
    roles=ADMIN,
    build=lambda c: Target(
        "/api/v1/case-routing/rules", json={"category_prefix": "0104", "target": "street_centre"}
    ),
    ok=(201,),
)
rule(
    "PUT",
    "/api/v1/case-routing/rules/{rule_id}",
    ROLE,
    roles=ADMIN,
    build=lambda c: Target(
        f"/api/v1/case-routing/rules/{_rule_id(c)}", json={"category_prefix": "0104", "target": "community"}
    ),
)
rule(
    "DELETE",
    "/api/v1/case-routing/rules/{rule_id}",
    ROLE,
    roles=ADMIN,
    build=lambda c: Target(f"/api/v1/case-routing/rules/{_rule_id(c)}"),
    ok=(204,),
)
rule(
    "GET",
    "/api/v1/case-routing/preview",
    ROLE,
    roles=OPERATORS,
    build=lambda c: Target(
        "/api/v1/case-routing/preview", params={"category_code": "0601", "area_code": c.area_a}
    ),
)
rule("GET", "/api/v1/case-units", ROLE, roles=VIEW, build=lambda c: Target("/api/v1/case-units"))
rule(
    "POST",
    "/api/v1/case-snoozes",
    ROLE,
    roles=OPERATORS,
    build=lambda c: Target("/api/v1/case-snoozes", json={"dedupe_key": c.unique("matrix:"), "minutes": 30}),
    ok=(201,),
)
rule(
    "DELETE",
    "/api/v1/case-snoozes/{dedupe_key}",
    ROLE,
    roles=OPERATORS,
    build=lambda c: Target(f"/api/v1/case-snoozes/{_snoozed(c)}"),
    ok=(204,),
)
rule("GET", "/api/v1/case-reminders", ROLE, roles=VIEW, build=lambda c: Target("/api/v1/case-reminders"))
rule(
    "POST",
    "/api/v1/case-reminders/{reminder_id}/ack",
    SCOPED,
    roles=VIEW,
    build=_reminder(lambda c: c.area_a),
    build_other=_reminder(lambda c: c.area_b),
)
rule("GET", "/api/v1/case-digest", ROLE, roles=VIEW, build=lambda c: Target("/api/v1/case-digest"))
rule("POST", "/api/v1/case-sla/tick", ROLE, roles=ADMIN, build=lambda c: Target("/api/v1/case-sla/tick"))
rule(
    "GET",
    "/api/v1/case-kpis",
    ROLE,
    roles=VIEW,
    build=lambda c: Target("/api/v1/case-kpis", params={"group_by": "street"}),
)


def _track(c: Ctx) -> Target:
    case = make_case(c, c.area_a)
    return Target(f"/api/v1/public/cases/{case.number}", params={"token": case.tracking_token})  # type: ignore[attr-defined]


def _rate(c: Ctx) -> Target:
    case, token = _closed_case(c)
    return Target(
        f"/api/v1/public/cases/{case.number}/rating",
        json={"token": token, "is_fixed": True, "satisfaction": "basically_satisfied"},
    )


rule("GET", "/api/v1/public/cases/{number}", PUBLIC, build=_track)
rule("POST", "/api/v1/public/cases/{number}/rating", PUBLIC, build=_rate)


def _tracked_photo(c: Ctx) -> Target:
    case = make_case(c, c.area_a, photo=True)
    attachment = service.attachments_of(c.session, case.id)[0]
    return Target(
        f"/api/v1/public/cases/{case.number}/attachments/{attachment.id}",
        params={"tracking_code": case.tracking_token},  # type: ignore[attr-defined]
    )


rule("GET", "/api/v1/public/cases/{number}/attachments/{attachment_id}", PUBLIC, build=_tracked_photo)
rule(
    "GET",
    "/api/v1/live",
    AUTHENTICATED,
    build=lambda c: Target("/api/v1/live", params={"duration": 0.2, "heartbeat": 0.1}),
    notes="events are filtered by the caller's scope (tests/cases/test_live.py)",
)
