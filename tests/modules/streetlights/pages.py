"""The module's page: the lights of the user's scope, broken ones first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import render, require_staff

from . import service

router = APIRouter(include_in_schema=False)


@router.get("/streetlights")
def lights_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    actor = require_staff(actor, *service.STAFF)
    lights = sorted(service.list_lights(session, actor), key=lambda light: (not light.is_broken, light.code))
    return render(request, "streetlights.html", actor, lights=lights)
