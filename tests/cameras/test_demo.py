"""The demo's video network: ~4,500 cameras along the roads with IDs under Binjiang's codes, under NVRs and a
platform per street; a week of outages; the NVR that is down now is one case, its cameras fold into it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.cameras import gbid
from pingan.cameras.models import Camera, VideoPlatform
from pingan.cameras.module import CAMERA, PARENT
from pingan.cases.models import Case
from pingan.core.clock import utcnow
from pingan.devices import interface as devices


def test_the_demo_network(session: Session) -> None:
    counts = dict(session.execute(select(Camera.role, func.count()).group_by(Camera.role)).all())
    assert 4400 <= counts["camera"] <= 4700 and counts["parent"] >= 140 and counts["platform"] == 3
    ids = list(session.scalars(select(Camera.gb_id).where(Camera.gb_id.like("330108%"))))
    assert len(ids) == sum(counts.values())  # every ID under the district's code …
    assert all(gbid.explain(i).area_code == "330108" for i in ids[::97])  # … and well formed
    cameras = list(session.scalars(select(Camera).where(Camera.role == "camera").limit(500)))
    assert all(c.parent_id and c.lon and c.road and c.owner_unit and c.install_date for c in cameras)
    assert session.scalar(select(VideoPlatform.link_template).where(VideoPlatform.code == "binjiang-vms"))


def test_a_week_of_liveness_with_one_case_for_the_dark_nvr(session: Session) -> None:
    now = utcnow()
    week = devices.outages(session, CAMERA, since=now - timedelta(days=7), until=now)
    assert 1000 < len(week) < 4000 and any(o.ended_at is None for o in week)
    states = devices.device_states(session, CAMERA)
    offline = [s for s in states.values() if s.status == "offline"]
    assert 20 < len(offline) < 200 and len(states) >= 4400
    (dark,) = [gb for gb, s in devices.device_states(session, PARENT).items() if s.status == "offline"]
    (case,) = session.scalars(select(Case).where(Case.dedupe_key == devices.outage_key(PARENT, dark)))
    assert case.category_code == "1501" and "随之离线" in case.description
    under = session.scalar(select(Camera.id).where(Camera.gb_id == dark))
    children = list(session.scalars(select(Camera.gb_id).where(Camera.parent_id == under)))
    keys = [devices.outage_key(CAMERA, g) for g in children]
    assert session.scalar(select(func.count()).where(Case.dedupe_key.in_(keys))) == 0  # folded into the NVR's
