"""The staff page ``/devices``: the devices of the user's scope by kind and status, offline first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pingan.core.clock import format_local
from pingan.core.validation import Offset
from pingan.devices import service
from pingan.devices.kinds import device_kinds
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import lang_of, render, require_staff

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/devices")
def devices_page(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=10)] = None,
    offset: Annotated[Offset, Query(ge=0)] = 0,
) -> Response:
    actor = require_staff(actor, *service.READ_ROLES)
    kind, status = kind or None, status or None
    items, total = service.list_devices(session, actor, kind=kind, status=status, offset=offset, limit=PAGE)
    lang = lang_of(request)
    kinds = {code: k.name(lang) for code, k in sorted(device_kinds().items())}
    return render(
        request,
        "devices.html",
        actor,
        devices=items,
        total=total,
        offset=offset,
        page=PAGE,
        kinds=kinds,
        kind=kind or "",
        status=status or "",
        statuses=service.STATUSES,
        summary=service.summary(session, actor, kind),
        local=format_local,
    )
