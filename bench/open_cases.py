"""Many open cases for the wall's benchmark and tests: copies of the demo district's open cases, spread over
its grids and the last 60 days, inserted in bulk (deterministic by seed)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.cases.models import OPEN_STATES, Case
from pingan.core.clock import utcnow

COLOURS = ("green", "green", "green", "yellow", "red")


def add_open_cases(session: Session, n: int, *, seed: int = 14) -> int:
    """Insert ``n`` open cases like the demo's open ones (new ids, numbers); returns how many are open now."""
    rng = random.Random(seed)
    templates = [
        {c.key: row[c.key] for c in Case.__table__.columns}
        for row in session.execute(
            select(Case.__table__).where(Case.state.in_([s.value for s in OPEN_STATES])).limit(50)
        ).mappings()
    ]
    assert templates, "the demo district has open cases"
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    first = int(session.scalar(select(func.max(Case.id))) or 0) + 1
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for i in range(n):
        row = dict(rng.choice(templates))
        grid = rng.choice(grids)
        case_id = first + i
        reported = now - timedelta(minutes=rng.randrange(60, 60 * 24 * 60))
        row.update(
            id=case_id,
            number=f"BW{case_id:012d}",
            area_code=grid.code,
            community_code=grid.code[:12],
            street_code=grid.code[:9],
            lon=(grid.min_lon + grid.max_lon) / 2
            if grid.min_lon is not None and grid.max_lon is not None
            else None,
            lat=(grid.min_lat + grid.max_lat) / 2
            if grid.min_lat is not None and grid.max_lat is not None
            else None,
            reported_at=reported,
            registered_at=None,
            dispatched_at=None,
            started_at=None,
            handled_at=None,
            verified_at=None,
            closed_at=None,
            updated_at=reported,
            dedupe_key=None,
            duplicate_of_id=None,
            source_ref=None,
            tracking_digest=None,
            sla_color=rng.choice(COLOURS),
        )
        rows.append(row)
    for chunk in range(0, len(rows), 2000):
        session.execute(insert(cast(Table, Case.__table__)), rows[chunk : chunk + 2000])
    return int(
        session.scalar(
            select(func.count()).select_from(Case).where(Case.state.in_([s.value for s in OPEN_STATES]))
        )
        or 0
    )
