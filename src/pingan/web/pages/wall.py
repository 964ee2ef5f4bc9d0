"""The command-centre wall (指挥大屏): the page, and the JSON its scripts refresh (/wall/data.json)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.clock import format_local, utcnow
from pingan.core.security import Actor, scope_prefix
from pingan.web import i18n
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages import wall_data
from pingan.web.pages.common import COMMAND_ROLES, lang_of, render, require_staff
from pingan.web.pages.modules import wall_tiles
from pingan.web.pages.wall_cache import WallSnapshots

router = APIRouter(include_in_schema=False)
GRID_SIMPLIFY = 0.00005
STREET_SIMPLIFY = 0.0001
RANK_SECONDS = 8  # the ranking turns its page this often when its rows do not fit at once


def scope_code(session: DbSession, actor: Actor) -> str:
    """The area the wall shows: the actor's command scope (the whole district for district staff)."""
    prefixes = actor.area_prefixes(COMMAND_ROLES)
    if len(prefixes) == 1:
        return prefixes[0]
    districts = areas.list_areas(session, level=AreaLevel.DISTRICT)
    return districts[0].code if districts else (prefixes[0] if prefixes else "")


def district_label(name: str, lang: str) -> str:
    """The district's name as pages show it (the configured name in Chinese, the catalogue's in English)."""
    return name if lang == "zh" else i18n.translator(lang)("district.name")


def scope_name(area: Any, district_name: str, lang: str) -> str:
    """What the wall's header names: the district, or "district · street" for a street's wall."""
    if area.level == AreaLevel.DISTRICT.value:
        return district_label(district_name, lang)
    return i18n.translator(lang)("wall.scope", district=district_label(district_name, lang), area=area.name)


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
    # names of the streets and communities of the scope: the feed shows the same place for items loaded with
    # the page and items pushed live (both carry only codes)
    places = {
        a.code: a.name
        for level in (AreaLevel.STREET, AreaLevel.COMMUNITY)
        for a in areas.list_areas(session, level=level, within=code)
    }
    extra_tiles = [
        {"key": t.key, "title": t.title(lang), "points_key": t.points_key, "toggle": t.toggle(lang)}
        for t in wall_tiles(request.app)
    ]
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
        "places": places,
        "feed_size": wall_data.FEED_SIZE,
        "rank_seconds": RANK_SECONDS,
    }
    return render(
        request,
        "wall.html",
        actor,
        config=config,
        extra_tiles=extra_tiles,
        now_text=format_local(utcnow()),
        area=area,
        scope_name=scope_name(area, settings.district_name, lang),
        rank_level="community" if area.level == AreaLevel.STREET.value else "street",
    )


def visibility(actor: Actor, scope: str) -> Hashable:
    """Who sees the same wall: everyone who commands the whole scope sees all of its cases (one shared
    snapshot); anyone else (several streets shown on a district's wall) gets a snapshot of their own."""
    for grant in actor.grants_for(COMMAND_ROLES):
        if grant.unit_id is None and scope.startswith(scope_prefix(grant.area_code)):
            return "scope"
    return ("actor", actor.account_id, actor.grants)


def snapshots(request: Request) -> WallSnapshots:
    """The application's shared wall snapshots."""
    found: WallSnapshots | None = getattr(request.app.state, "wall_snapshots", None)
    if found is None:
        found = request.app.state.wall_snapshots = WallSnapshots()
    return found


@router.get("/wall/data.json")
def wall_json(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """Everything the wall shows apart from the boundaries, already formatted in the viewer's language
    (one shared snapshot per scope and language: ``wall_cache``)."""
    actor = require_staff(actor, *COMMAND_ROLES)
    tiles = wall_tiles(request.app)
    scope, lang = scope_code(session, actor), lang_of(request)
    key = (scope, visibility(actor, scope), lang, tiles)

    def build() -> bytes:
        return orjson.dumps(wall_data.build(session, actor, scope, lang, tiles))

    body = snapshots(request).get(key, scope, build)
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
