"""The command-centre wall (指挥大屏): the page, and the JSON its scripts refresh (/wall/data.json)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.core.clock import format_local, utcnow
from pingan.core.security import Actor
from pingan.web import i18n
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages import wall_data
from pingan.web.pages.common import COMMAND_ROLES, lang_of, render, require_staff
from pingan.web.pages.modules import has_module

router = APIRouter(include_in_schema=False)
GRID_SIMPLIFY = 0.00005
STREET_SIMPLIFY = 0.0001
FEED_SIZE = 14


def scope_code(session: DbSession, actor: Actor) -> str:
    """The area the wall shows: the actor's command scope (the whole district for district staff)."""
    prefixes = actor.area_prefixes(COMMAND_ROLES)
    if len(prefixes) == 1:
        return prefixes[0]
    districts = areas.list_areas(session, level=AreaLevel.DISTRICT)
    return districts[0].code if districts else (prefixes[0] if prefixes else "")


@router.get("/wall")
def wall(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    actor = require_staff(actor, *COMMAND_ROLES)
    lang = lang_of(request)
    code = scope_code(session, actor)
    area = areas.get_area(session, code)
    center = (
        [(area.min_lon + area.max_lon) / 2, (area.min_lat + area.max_lat) / 2]
        if area.min_lon is not None
        and area.max_lon is not None
        and area.min_lat is not None
        and area.max_lat is not None
        else [120.2, 30.2]
    )
    settings = request.app.state.settings
    streets = {a.code: a.name for a in areas.list_areas(session, level=AreaLevel.STREET, within=code)}
    extra_tiles = [name for name in wall_data.MODULE_TILES if has_module(request.app, name)]
    config: dict[str, Any] = {
        "lang": lang,
        "strings": i18n.messages_with_prefix(lang, "wall.", "sla.", "state."),
        "center": center,
        "scope": code,
        "tile_url": settings.tile_url,
        "tile_crs": settings.tile_crs,
        "grids_url": f"/api/v1/areas/geojson?level=grid&within={code}&simplify={GRID_SIMPLIFY}",
        "streets_url": f"/api/v1/areas/geojson?level=street&within={code}&simplify={STREET_SIMPLIFY}",
        "data_url": "/wall/data.json",
        "live_url": "/api/v1/live",
        "streets": streets,
        "feed_size": FEED_SIZE,
    }
    return render(
        request,
        "wall.html",
        actor,
        config=config,
        extra_tiles=extra_tiles,
        now_text=format_local(utcnow()),
        area=area,
        rank_level="community" if area.level == AreaLevel.STREET.value else "street",
    )


@router.get("/wall/data.json")
def wall_json(request: Request, session: DbSession, actor: OptionalActor) -> dict[str, Any]:
    """Everything the wall shows apart from the boundaries, already formatted in the viewer's language."""
    actor = require_staff(actor, *COMMAND_ROLES)
    modules = frozenset(name for name in wall_data.MODULE_TILES if has_module(request.app, name))
    return wall_data.build(session, actor, scope_code(session, actor), lang_of(request), modules)
