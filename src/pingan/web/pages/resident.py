"""Resident pages (mobile first): report a problem, see nearby open cases first, follow a case, rate it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.cases import dedupe, public, service
from pingan.core.clock import format_local
from pingan.core.errors import NotFound, PinganError, ValidationFailed
from pingan.core.security import Actor, Role
from pingan.core.validation import DbId
from pingan.web import i18n
from pingan.web.deps import DbSession, OptionalActor, client_ip
from pingan.web.pages.common import lang_of, render
from pingan.web.pages.lookups import names, timeline_view

router = APIRouter(include_in_schema=False)
MAX_PHOTO = 10 * 1024 * 1024
REPORT_FIELDS = ("category_code", "description", "lon", "lat", "crs", "reporter_name", "reporter_phone")


def _district_center(session: DbSession) -> list[float]:
    districts = areas.list_areas(session, level=AreaLevel.DISTRICT)
    d = districts[0] if districts else None
    if d is None or d.min_lon is None or d.max_lon is None or d.min_lat is None or d.max_lat is None:
        return [120.2, 30.2]
    return [(d.min_lon + d.max_lon) / 2, (d.min_lat + d.max_lat) / 2]


def _report_page(
    request: Request,
    session: DbSession,
    actor: Actor | None,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    lang = lang_of(request)
    lookup = names(session, lang, within="-", public_only=True)
    districts = areas.list_areas(session, level=AreaLevel.DISTRICT)
    scope = districts[0].code if districts else ""
    settings = request.app.state.settings
    config = {
        "strings": i18n.messages_with_prefix(lang, "report."),
        "center": _district_center(session),
        "grids_url": f"/api/v1/areas/geojson?level=community&within={scope}&simplify=0.0001",
        "nearby_url": "/report/nearby",
        "tile_url": settings.tile_url,
        "tile_crs": settings.tile_crs,
        "csrf": "",
    }
    from pingan.web import sessions

    config["csrf"] = sessions.csrf_token(request)
    categories = [
        {"code": code, "name": name, "children": [{"code": c, "name": n} for c, n in children]}
        for code, name, children in lookup.majors
    ]
    return render(
        request,
        "report.html",
        actor,
        status_code=status_code,
        config=config,
        categories=categories,
        form=form or {},
        errors=errors or {},
    )


@router.get("/report")
def report_form(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    return _report_page(request, session, actor)


def _float(value: Any, field: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field} must be a number", field=field) from None


@router.post("/report")
async def report_submit(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """File the report (JSON for our script, a page for browsers without scripts)."""
    lang = lang_of(request)
    translate = i18n.translator(lang)
    wants_json = "application/json" in request.headers.get("accept", "")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in REPORT_FIELDS}
    form["anonymous"] = "1" if raw.get("anonymous") else ""
    try:
        if len(form["description"].strip()) < 5:
            raise ValidationFailed("describe the problem (at least 5 characters)", field="description")
        files: list[tuple[str, bytes]] = []
        photo = raw.get("photo")
        if isinstance(photo, UploadFile) and photo.filename:
            data = await photo.read(MAX_PHOTO + 1)
            if len(data) > MAX_PHOTO:
                raise ValidationFailed("the photo is larger than 10 MB", field="photo")
            if data:
                files.append((photo.filename, data))
        reporter = actor or service.public_actor(session, client_ip=client_ip(request))
        if reporter.account_id is None and not form["reporter_phone"].strip():
            # the same rule as the API: an anonymous report needs a way to reach the reporter
            raise ValidationFailed(
                "an anonymous report needs a phone number", field="reporter_phone", code="phone_needed"
            )
        case = service.submit_report(
            session,
            reporter,
            category_code=form["category_code"],
            description=form["description"],
            source="resident_web",
            lon=_float(form["lon"], "lon"),
            lat=_float(form["lat"], "lat"),
            crs=form["crs"] or "wgs84",
            reporter_name=form["reporter_name"] or None,
            reporter_phone=form["reporter_phone"] or None,
            is_anonymous_public=bool(form["anonymous"]),
            files=files,
        )
    except PinganError as exc:
        session.rollback()
        field = _form_field(exc.field)
        message = _report_message(translate, exc, field)
        if wants_json:
            return JSONResponse(
                {"error": {"code": exc.code, "message": message, "field": field}}, status_code=exc.status
            )
        return _report_page(
            request, session, actor, form=form, errors={field: message}, status_code=exc.status
        )
    code = getattr(case, "tracking_token", "")
    url = "/report/done?" + urlencode({"number": case.number, "tracking_code": code})
    if wants_json:  # "code": the tracking code's former name here, kept for scripts written against it
        return JSONResponse(
            {"number": case.number, "tracking_code": code, "code": code, "url": url}, status_code=201
        )
    return RedirectResponse(url, status_code=303)


def _report_message(translate: i18n.Translator, exc: PinganError, field: str) -> str:
    """The message shown next to the field, in the page's language."""
    for key in (f"report.err.{exc.code}", f"report.err.{field}", "report.err.generic"):
        text = translate(key)
        if text != key:
            return text
    return exc.message


def _form_field(field: str | None) -> str:
    if field in ("lat", "crs", None, ""):
        return "lon" if field in ("lat", "crs") else "description"
    if field in ("media", "files"):
        return "photo"
    return field


@router.get("/report/done")
def report_done(
    request: Request, actor: OptionalActor, number: str = "", tracking_code: str = "", code: str = ""
) -> Response:
    code = (tracking_code or code)[:40]
    return render(request, "report_done.html", actor, number=number[:24], tracking_code=code)


@router.get("/report/nearby")
def report_nearby(
    request: Request, session: DbSession, category_code: str, lon: float, lat: float, crs: str = "wgs84"
) -> dict[str, Any]:
    """Open and recently closed cases of the same kind near the point, to follow instead of re-reporting."""
    lang = lang_of(request)
    translate = i18n.translator(lang)
    try:
        found = dedupe.nearby_public(session, category_code=category_code, lon=lon, lat=lat, crs=crs)
    except PinganError:
        found = []
    from datetime import datetime

    items = [
        {
            "number": c["number"],
            "title": c["title"],
            "state_label": translate("state." + c["state"]),
            "distance_text": translate("report.metres", m=round(c["distance_m"])),
            "reported_text": format_local(datetime.fromisoformat(c["reported_at"])),
        }
        for c in found
    ]
    return {"items": items}


def _own_reports(session: DbSession, actor: Actor | None) -> list[Any]:
    if actor is None or not actor.has_role(Role.RESIDENT):
        return []
    items, _total = service.list_cases(session, actor, limit=20)
    return [c for c in items if c.reporter_account_id == actor.account_id]


def _find_tracked(session: DbSession, actor: Actor | None, number: str, code: str) -> Any:
    """The case by number and tracking code, or the signed-in reporter's own case by number."""
    return public.tracked_or_own_case(session, actor, number=number, tracking_code=code)


def _track_view(session: DbSession, actor: Actor | None, lang: str, number: str, code: str) -> dict[str, Any]:
    """What the reporter sees of the case (NotFound when number and code do not match)."""
    case = _find_tracked(session, actor, number, code)
    view = public.public_view(session, case, tracking_code=code)
    view["category"] = names(session, lang, within="-").category(case.category_code)
    view["reported_text"] = format_local(case.reported_at)
    view["closed_text"] = format_local(case.closed_at)
    view["expected_text"] = format_local(case.close_due_at) if view["is_open"] else ""
    events = service.timeline(session, Actor.system("public"), case_id=case.id, public_only=True)
    view["updates_view"] = timeline_view(events, i18n.translator(lang), public=True)
    return view


def _track_page(
    request: Request,
    session: DbSession,
    actor: Actor | None,
    *,
    number: str,
    code: str,
    rated: bool = False,
    rating_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    lang = lang_of(request)
    view: dict[str, Any] | None = None
    error = None
    if number:
        try:
            view = _track_view(session, actor, lang, number, code)
        except NotFound:
            error = i18n.translator(lang)("track.not_found")
            status_code = 404
    return render(
        request,
        "track.html",
        actor,
        status_code=status_code,
        number=number,
        code=code,
        view=view,
        error=error,
        rated=rated,
        own_reports=_own_reports(session, actor),
        rating_errors=rating_errors or {},
    )


@router.get("/track")
def track(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    number: str = "",
    tracking_code: str = "",
    code: str = "",
    rated: str = "",
) -> Response:
    """Follow a case by its number (and the tracking code shown when it was filed; ``code`` is its former
    name in links)."""
    code = (tracking_code or code).strip()[:40]
    return _track_page(
        request, session, actor, number=number.strip().upper()[:24], code=code, rated=bool(rated)
    )


@router.post("/track/rate")
async def rate(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """The reporter's verdict: fixed or not, and how satisfied (not fixed reopens the case)."""
    raw = await request.form()
    number = str(raw.get("number") or "").strip().upper()[:24]
    code = str(raw.get("tracking_code") or raw.get("code") or "").strip()[:40]
    fixed = str(raw.get("is_fixed") or "")
    satisfaction = str(raw.get("satisfaction") or "") or None
    comment = str(raw.get("comment") or "")[:1000]
    translate = i18n.translator(lang_of(request))
    problem: tuple[str, str] | None = None
    if fixed not in ("yes", "no"):
        problem = ("is_fixed", translate("track.err.is_fixed"))
    elif fixed == "yes" and satisfaction is None:
        problem = ("satisfaction", translate("track.err.satisfaction"))
    else:
        try:
            public.rate_case(
                session,
                actor,
                number=number,
                token=code or None,
                is_fixed=fixed == "yes",
                satisfaction=satisfaction if fixed == "yes" else None,
                comment=comment,
            )
        except NotFound:
            problem = ("number", translate("track.not_found"))
        except PinganError:
            session.rollback()
            problem = ("comment", translate("track.err.rate"))
    if problem is None:
        return RedirectResponse(
            "/track?" + urlencode({"number": number, "tracking_code": code, "rated": "1"}), status_code=303
        )
    return _track_page(
        request,
        session,
        actor,
        number=number,
        code=code,
        rating_errors={problem[0]: problem[1]},
        status_code=422,
    )


@router.get("/track/photo/{attachment_id}")
def track_photo(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    attachment_id: DbId,
    number: str = "",
    tracking_code: str = "",
    code: str = "",
) -> Response:
    """A public photo of a tracked case (the number and code, or the reporter's own session, unlock it)."""
    case = _find_tracked(session, actor, number.strip().upper()[:24], (tracking_code or code).strip()[:40])
    attachment, data = public.public_attachment(session, case, attachment_id=attachment_id)
    return Response(
        data, media_type=attachment.content_type, headers={"Cache-Control": "private, max-age=3600"}
    )
