"""JSON routes under /api/v1/streetlights."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from pingan.web.deps import CurrentActor, DbSession

from . import service

router = APIRouter(prefix="/api/v1/streetlights", tags=["streetlights"])


class LightRead(BaseModel):
    id: int
    code: str
    area_code: str
    lon: float
    lat: float
    is_broken: bool
    case_id: int | None


class BrokenReport(BaseModel):
    note: str = Field("", max_length=500)


def _read(light: Any) -> LightRead:
    return LightRead.model_validate(light, from_attributes=True)


@router.get("", response_model=list[LightRead], summary="Street lights in your scope")
def list_lights(session: DbSession, actor: CurrentActor, broken: bool | None = None) -> list[LightRead]:
    return [_read(light) for light in service.list_lights(session, actor, broken=broken)]


@router.post("/{light_id}/broken", response_model=LightRead, summary="Report a light broken (raises a case)")
def report_broken(session: DbSession, actor: CurrentActor, light_id: int, body: BrokenReport) -> LightRead:
    return _read(service.report_broken(session, actor, light_id=light_id, note=body.note))
