"""Coverage: the coverage matrix and per-volunteer totals, from arrays and from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from pingan.core.geo import haversine_m
from pingan.core.security import Actor
from pingan.patrols import coverage, shifts
from pingan.patrols.common import to_ms
from pingan.patrols.models import PatrolVolunteer, PositionFlag, ShiftAssignment
from pingan.patrols.positions import Fix, ingest_fixes
from tests.factories import actor
from tests.patrols.conftest import Place, centre_of

SYSTEM = Actor.system("test")


class TestComputeCoverage:
    def test_matrix_and_totals(self) -> None:
        start = 1_800_000_000_000
        minute = 60_000
        volunteer = np.array([0, 0, 0, 1, 1, 0])
        t = np.array(
            [
                start,
                start + minute,
                start + 2 * minute,
                start + 61 * minute,
                start + 62 * minute,
                start + 30 * minute,
            ]
        )
        lon = np.array([120.2, 120.201, 120.202, 120.2, 120.2, 120.3])
        lat = np.full(6, 30.2)
        grid = np.array([0, 0, 1, 1, 1, -1], dtype=np.int32)
        flags = np.array([0, 0, 0, 0, PositionFlag.MOCK, 0])
        cov = coverage.compute_coverage(
            volunteer=volunteer,
            t_ms=t,
            lon=lon,
            lat=lat,
            flags=flags,
            grid=grid,
            n_grids=2,
            n_volunteers=2,
            start_ms=start,
            hours=2,
        )
        assert cov.pings.tolist() == [[2, 0], [1, 1]]
        assert cov.patrollers.tolist() == [[1, 0], [1, 1]]
        # volunteer 0: two 60 s steps (a 28-minute gap is not patrol time); volunteer 1: one counted fix
        assert cov.seconds.tolist() == [120.0, 0.0]
        expected = haversine_m(120.2, 30.2, 120.201, 30.2) + haversine_m(120.201, 30.2, 120.202, 30.2)
        assert abs(cov.metres[0] - expected) < 1e-6
        assert cov.fixes.tolist() == [4, 1]


class TestCoverageReport:
    def test_patrolled_gaps_and_never_covered(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        since = datetime(2033, 6, 1, 0, tzinfo=UTC)
        for hour in (0, 2):
            s = shifts.create_shift(
                session,
                SYSTEM,
                grid_code=place.grid,
                starts_at=since + timedelta(hours=hour),
                ends_at=since + timedelta(hours=hour + 1),
            )
            session.add(
                ShiftAssignment(
                    shift_id=s.id,
                    volunteer_id=volunteer.id,
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    status="planned",
                )
            )
        session.flush()
        lon, lat = centre_of(session, place.grid)
        base = to_ms(since)
        fixes = [
            Fix(device_id=volunteer.device_id or "", fixed_ms=base + i * 60_000, lon=lon + i * 1e-4, lat=lat)
            for i in range(10)
        ]
        ingest_fixes(session, fixes, now_ms=base + 3_600_000)
        report = coverage.coverage_report(session, actor(session, "gridworker"), since=since, hours=3)
        assert report["grids"] == [place.grid]
        assert report["patrollers"] == [[1, 0, 0]]
        assert report["planned_uncovered"] == [
            {"grid_code": place.grid, "hour": (since + timedelta(hours=2)).isoformat()}
        ]
        assert report["never_covered"] == []
        (mine,) = [v for v in report["volunteers"] if v["volunteer_id"] == volunteer.id]
        assert mine["hours"] == round(9 * 60 / 3600, 2) and mine["fixes"] == 10 and mine["km"] > 0
        district = coverage.coverage_report(session, actor(session, "admin"), since=since, hours=3)
        assert len(district["grids"]) == 239 and place.grid not in district["never_covered"]
        assert len(district["never_covered"]) == 238
