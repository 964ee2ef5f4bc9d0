"""The area page (``/grids/{code}``): one area's boundary, its figures, its open cases, and the sections the
enabled modules add (``AreaPanel``: the grid registers' counts and staff, say)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pingan.areas import service as areas
from pingan.cases import service as cases
from pingan.cases import sla
from pingan.core.modules import load
from pingan.core.security import Actor, ensure_in_scope
from pingan.web import i18n
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import STAFF_ROLES, lang_of, render, require_staff
from pingan.web.pages.lookups import names
from pingan.web.pages.modules import area_panels
from pingan.web.pages.work import row_of

router = APIRouter(include_in_schema=False)


@router.get("/grids/{code}")
def grid_page(request: Request, session: DbSession, actor: OptionalActor, code: str) -> Response:
    actor = require_staff(actor)
    ensure_in_scope(actor, code, what="area", roles=STAFF_ROLES)
    area = areas.get_area(session, code)
    lang = lang_of(request)
    translate = i18n.translator(lang)
    lookup = names(session, lang, within=code[:6])
    chain = [a for a in reversed(areas.ancestors(session, code)[1:])]
    open_cases, open_total = cases.list_cases(
        session, actor, filters=cases.CaseFilter(area_code=code, is_open=True), limit=100
    )
    colours = {c.id: sla.status_of(c).color for c in open_cases}  # now, as the case page shows it
    overdue = sum(1 for colour in colours.values() if colour == "red")
    children = areas.list_areas(session, parent_code=code)
    settings = request.app.state.settings
    config: dict[str, Any] = {
        "tile_url": settings.tile_url,
        "tile_crs": settings.tile_crs,
        "area_url": f"/api/v1/areas/{code}?geometry=true",
        "center": [
            ((area.min_lon or 120.2) + (area.max_lon or 120.2)) / 2,
            ((area.min_lat or 30.2) + (area.max_lat or 30.2)) / 2,
        ],
        "cases": [
            {
                "id": c.id,
                "number": c.number,
                "title": c.title,
                "lon": c.lon,
                "lat": c.lat,
                "sla_color": colours[c.id],
            }
            for c in open_cases
            if c.lon is not None
        ],
        "strings": i18n.messages_with_prefix(lang, "sla."),
    }
    panels = _panels(request, session, actor, code)
    crumbs = [(a, actor.can_see_area(a.code, STAFF_ROLES)) for a in chain]
    return render(
        request,
        "grid.html",
        actor,
        panels=panels,
        panel_stats=[stat for panel in panels for stat in panel["data"].get("stats", ())],
        crumbs=crumbs,
        area=area,
        chain=chain,
        children=children,
        rows=[row_of(c, lookup, translate, lang) for c in open_cases],
        open_total=open_total,
        overdue=overdue,
        area_km2=round((area.area_m2 or 0) / 1_000_000, 2),
        config=config,
    )


def _panels(request: Request, session: DbSession, actor: Actor, code: str) -> list[dict[str, Any]]:
    """The enabled modules' sections of the area page that have something to show this actor."""
    shown = []
    for panel in area_panels(request.app):
        data = load(panel.build)(request, session, actor, code)
        if data is not None:
            shown.append({"key": panel.key, "template": panel.template, "data": data})
    return shown
