"""Patrol queries a person waits for, on the demo district (``demo_engine``: 21,863 volunteers, a day of
positions around now), each beside the query it replaced, in the same run on the same database:

- 24-hour coverage (``pingan patrols coverage``, ``GET /api/v1/patrols/coverage``): the positions used to be
  fetched as SQLAlchemy Row objects through the ORM session and turned into an array by ``np.asarray`` (which
  probes every Row for the array protocols); now one structured array straight from the driver's cursor;
- patrol stats (``GET /api/v1/patrols/stats/patrol``, time and distance per team), built on the coverage;
- activity stats (``GET /api/v1/patrols/stats/activities``), one GROUP BY (unchanged, measured);
- volunteer export (``GET /api/v1/patrols/volunteers/export``, masked CSV): it used to load every volunteer as
  an ORM object with its encrypted blobs; now the shown columns only.

The route functions are called as FastAPI calls them (session, district admin actor), with the JSON encoding
FastAPI applies. Both answers must agree. Target: each under 300 ms (best of 5, wall time).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.conftest import print_table, record_target, timed

TARGET_S = 0.3
REPEAT = 5
pytestmark = pytest.mark.benchmark


# --- the queries as they were (the reference) -----------------------------------------------------------


def current_load(
    session: Session, actor: Any, *, start_ms: int, end_ms: int, within: str | None
) -> tuple[Any, ...]:
    """The positions fetch before this change (Row objects → np.asarray)."""
    from pingan.core.security import in_scope
    from pingan.patrols.common import READ_ROLES, within_actor
    from pingan.patrols.models import PatrolPosition

    stmt = select(
        PatrolPosition.volunteer_id,
        PatrolPosition.fixed_ms,
        PatrolPosition.lon,
        PatrolPosition.lat,
        PatrolPosition.flags,
    ).where(PatrolPosition.fixed_ms >= start_ms, PatrolPosition.fixed_ms < end_ms)
    stmt = in_scope(stmt, PatrolPosition.grid_code, actor, roles=READ_ROLES)
    if within:
        stmt = in_scope(stmt, PatrolPosition.grid_code, within_actor(within))
    rows = session.execute(stmt).all()
    data = np.asarray(rows, dtype=np.float64)
    return (
        data[:, 0].astype(np.int64),
        data[:, 1].astype(np.int64),
        data[:, 2],
        data[:, 3],
        data[:, 4].astype(np.int64),
    )


def current_export_rows(session: Session, actor: Any) -> list[dict[str, Any]]:
    """The masked roster export before this change (ORM entities)."""
    from pingan.audit import service as audit
    from pingan.core.security import in_scope
    from pingan.patrols.common import MANAGE_ROLES
    from pingan.patrols.models import PatrolTeam, PatrolVolunteer

    stmt = in_scope(
        select(PatrolVolunteer, PatrolTeam.name).join(PatrolTeam, PatrolTeam.id == PatrolVolunteer.team_id),
        PatrolVolunteer.area_code,
        actor,
        roles=MANAGE_ROLES,
    )
    rows = [
        {
            "id": v.id,
            "name": v.name_masked,
            "id_number": v.id_number_masked,
            "phone": v.phone_masked,
            "community": v.area_code,
            "team": team_name,
            "skills": "、".join(v.skills or []),
            "status": v.status,
            "device_id": v.device_id or "",
        }
        for v, team_name in session.execute(stmt.order_by(PatrolVolunteer.id))
    ]
    audit.record(
        session,
        actor,
        action="bulk.export",
        subject_type="patrol_volunteer",
        details={"rows": len(rows), "full": False},
    )
    return rows


# --- harness -------------------------------------------------------------------------------------------


def _json(value: Any) -> bytes:
    """The body FastAPI sends for a route's return value: a Response's own body, else the encoded value."""
    from fastapi.encoders import jsonable_encoder
    from fastapi.responses import Response

    if isinstance(value, Response):
        return bytes(value.body)
    return json.dumps(jsonable_encoder(value), ensure_ascii=False).encode()


def _body(response: Any) -> bytes:
    return bytes(response.body)


def test_patrol_queries_vs_current(demo_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.areas import service as areas
    from pingan.core.clock import utcnow
    from pingan.core.security import Actor
    from pingan.patrols import api, coverage, volunteers

    factory = sessionmaker(bind=demo_engine, expire_on_commit=False)
    actor = Actor.scoped_to("330108")  # the district admin of the demo district
    since: datetime = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=24)
    with factory() as session:
        areas.get_locator(session)  # built once per process, as in a running server

    def run(fn: Callable[[Session], bytes]) -> Callable[[], bytes]:
        def once() -> bytes:
            with factory() as session:
                try:
                    return fn(session)
                finally:
                    session.rollback()  # the export's audit record is not kept between runs

        return once

    ours_load = coverage._load
    cases: list[tuple[str, Callable[[Session], bytes], Callable[[Session], bytes]]] = [
        (
            "24 h coverage (GET /coverage, pingan patrols coverage)",
            lambda s: _json(api.coverage_report(s, actor, since=since, hours=24, within=None)),
            lambda s: _json(api.coverage_report(s, actor, since=since, hours=24, within=None)),
        ),
        (
            "patrol stats per team (GET /stats/patrol)",
            lambda s: _json(api.patrol_totals(s, actor, since=since, hours=24, group_by="team", within=None)),
            lambda s: _json(api.patrol_totals(s, actor, since=since, hours=24, group_by="team", within=None)),
        ),
        (
            "activity stats per team (GET /stats/activities)",
            lambda s: _json(
                api.activity_totals(s, actor, group_by="team", since=None, until=None, kind=None, within=None)
            ),
            lambda s: _json(
                api.activity_totals(s, actor, group_by="team", since=None, until=None, kind=None, within=None)
            ),
        ),
        (
            "volunteer export, masked CSV (GET /volunteers/export)",
            lambda s: _body(api.export_volunteers(s, actor, within=None, full=False, reason="")),
            lambda s: _body(api.export_volunteers(s, actor, within=None, full=False, reason="")),
        ),
    ]
    rows = []
    for label, ours_fn, current_fn in cases:
        ours = timed(run(ours_fn), repeat=REPEAT)
        with monkeypatch.context() as patch:  # the same route with the query it used before
            patch.setattr(coverage, "_load", current_load)
            patch.setattr(volunteers, "export_roster", lambda s, a, **_kw: current_export_rows(s, a))
            current = timed(run(current_fn), repeat=REPEAT)
        assert coverage._load is ours_load
        assert ours.value == current.value, f"{label}: the answers differ"
        verdict = record_target(
            label,
            figure=f"{ours.seconds * 1000:.0f} ms",
            target=f"< {TARGET_S * 1000:.0f} ms",
            met=ours.seconds < TARGET_S,
        )
        rows.append(
            [
                label,
                f"{current.seconds * 1000:.0f}",
                f"{current.cpu * 1000:.0f}",
                f"{ours.seconds * 1000:.0f}",
                f"{ours.cpu * 1000:.0f}",
                f"{current.seconds / ours.seconds:.1f}×",
                f"{len(ours.value):,}",
                verdict,
            ]
        )
    print_table(
        f"patrol queries on the demo district, best of {REPEAT} (target < {TARGET_S * 1000:.0f} ms each; "
        "identical answers); load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()),
        ["query", "before ms", "before CPU ms", "now ms", "now CPU ms", "speed-up", "bytes", "target"],
        rows,
    )
