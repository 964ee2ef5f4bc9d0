"""Shared helpers of the cases tests."""

from __future__ import annotations

from typing import Any

import shapely
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from tests.factories import auth

GRID = "33010800200201"  # the demo grid worker's grid (月明社区, 长河街道 330108002)


def point_in(session: Session, code: str = GRID) -> tuple[float, float]:
    """A WGS-84 point inside an area."""
    geom = shapely.from_wkb(areas.get_area(session, code).geometry)
    p = geom.representative_point()
    return float(p.x), float(p.y)


def report_with_photo(client: TestClient, session: Session, photo: bytes) -> Any:
    """A signed-in resident reports garbage with a photo through the multipart form (name and phone given)."""
    lon, lat = point_in(session)
    return client.post(
        "/api/v1/cases/form",
        data={
            "category_code": "0102",
            "description": "小区门口垃圾堆了三天",
            "lon": str(lon),
            "lat": str(lat),
            "reporter_name": "张三丰",
            "reporter_phone": "13812345678",
        },
        files=[("media", ("photo.jpg", photo, "image/jpeg"))],
        headers=auth(session, "resident"),
    )
