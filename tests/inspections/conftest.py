"""Fixtures of the inspections tests: a campaign over 长河街道's restaurants and LPG outlets (the demo street
operator's street), a restaurant of the gridworker's grid, visit bodies and a photo."""

from __future__ import annotations

import base64
import itertools
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.core.clock import utcnow
from pingan.core.security import Actor
from pingan.grids import interface as places
from pingan.inspections import service
from pingan.inspections.models import Campaign, Checklist
from pingan.inspections.schemas import CampaignCreate
from tests.factories import actor

STREET = "330108002"  # 长河街道
_serial = itertools.count(1)


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9"  # judged by its first bytes


def photo() -> str:
    """A small JPEG as base64."""
    return base64.b64encode(JPEG).decode()


def uid() -> str:
    return f"test-{next(_serial):06d}-{utcnow().timestamp():.0f}"


@pytest.fixture
def campaign(session: Session) -> Campaign:
    now = utcnow()
    body = CampaignCreate(
        code=f"T{next(_serial)}",
        name="测试排查",
        area_codes=[STREET],
        place_types=["restaurant", "lpg_outlet"],
        teams=["长河排查组"],
        starts_at=now - timedelta(days=3),
        ends_at=now + timedelta(days=10),
    )
    return service.create_campaign(session, Actor.system("test"), body)


@pytest.fixture
def place(session: Session) -> places.PlaceRef:
    """A restaurant the gridworker's scope holds."""
    gw = actor(session, "gridworker")
    found, _ = places.list_places(session, actor=gw, types=["restaurant"], limit=1)
    if found:
        return found[0]
    grid = gw.grants_for()[0].area_code
    from tests.grids.conftest import point_in

    lon, lat = point_in(session, grid)
    return places.find_or_add_place(
        session, gw, place_type="restaurant", name="测试餐馆", address="测试路1号", lon=lon, lat=lat
    ).place


def visit_body(
    session: Session, campaign: Campaign, place_id: int, *, fail: str | None = None, with_photo: bool = True
) -> dict[str, Any]:
    checklist = session.get(Checklist, campaign.checklist_ids["restaurant"])
    assert checklist is not None
    answers = []
    for item in checklist.items:
        failed = item["code"] == fail
        answers.append(
            {
                "item": item["code"],
                "result": "fail" if failed else "pass",
                "photos": [photo()] if failed and with_photo else [],
            }
        )
    return {
        "visit_uid": uid(),
        "campaign_id": campaign.id,
        "place_id": place_id,
        "checklist_id": checklist.id,
        "checklist_version": checklist.version,
        "answers": answers,
        "signed_by": "张检查",
    }


def post_visit(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post("/api/v1/inspections/visits", json=body, headers=headers)
