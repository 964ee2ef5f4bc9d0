"""JSON routes under /api/v1/devices: the register in the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pingan.core.pagination import Limit, Offset
from pingan.devices import service
from pingan.devices.schemas import DevicePage, DeviceRead, DeviceSummary
from pingan.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])

Kind = Annotated[str | None, Query(max_length=32, description="a declared device kind, e.g. patrol_phone")]
Area = Annotated[str | None, Query(max_length=20, description="an area code: devices inside it")]


@router.get("", response_model=DevicePage, summary="Devices in your scope (offline first)")
def list_devices(
    session: DbSession,
    actor: CurrentActor,
    kind: Kind = None,
    status: Annotated[str | None, Query(max_length=10, description="online, offline or unknown")] = None,
    area: Area = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DevicePage:
    items, total = service.list_devices(
        session, actor, kind=kind, status=status, area=area, offset=offset, limit=limit
    )
    return DevicePage(
        items=[DeviceRead(**service.device_dict(d)) for d in items], total=total, offset=offset, limit=limit
    )


@router.get("/summary", response_model=DeviceSummary, summary="Devices in your scope by status (and kind)")
def device_summary(
    session: DbSession, actor: CurrentActor, kind: Kind = None, area: Area = None
) -> DeviceSummary:
    return DeviceSummary(**service.summary(session, actor, kind, area=area))
