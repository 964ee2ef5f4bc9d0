"""The staff page ``/rivers``: the segments drawn coloured by their station's current class, the stations
against their targets, and one station's last week as an ECharts chart (the app's own ECharts; the page's
script is served from this package, ``/rivers/rivers.js``, as the content security policy allows)."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pingan.core.clock import format_local, utcnow
from pingan.core.errors import NotFound
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import render, require_staff

from . import registers, views

router = APIRouter(include_in_schema=False)


@router.get("/rivers")
def rivers_page(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    station: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    actor = require_staff(actor, *registers.READ)
    overview = views.overview(session, actor)
    chosen = station or (overview["stations"][0]["id"] if overview["stations"] else None)
    chart: dict[str, Any] | None = None
    if chosen is not None:
        try:
            chart = views.chart(session, actor, chosen, since=utcnow() - timedelta(days=7))
        except NotFound:
            chart = None
    return render(request, "rivers.html", actor, overview=overview, chart=chart, local=format_local)


@router.get("/rivers/rivers.js")
def rivers_script() -> Response:
    script = resources.files("pingan.rivers").joinpath("templates/rivers.js").read_text(encoding="utf-8")
    return Response(script, media_type="text/javascript", headers={"Cache-Control": "max-age=300"})
