"""One bad fix never fails other phones' fixes written in the same group commit (SQLite and PostgreSQL):
random bad fixes (times no database integer holds) are thrown into batches of good ones, and every good one
is stored and answered."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pingan.patrols.models import PatrolPosition, PatrolVolunteer
from pingan.patrols.positions import OK, Fix, GroupCommitWriter
from tests import aio
from tests.patrols.conftest import Place, centre_of, register

BAD_TIMES = [10**30, 9999999999999999999, -(10**20), 2**63]
_clock = itertools.count(1_700_000_000_000, 1000)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.none(), st.none(), st.sampled_from(BAD_TIMES)), min_size=2, max_size=24))
def test_every_good_fix_lands(
    session_factory: sessionmaker[Session], place: Place, plan: list[int | None]
) -> None:
    session = session_factory()
    devices = session.scalars(
        select(PatrolVolunteer.device_id).where(PatrolVolunteer.device_id.like("ISO%"))
    ).all()
    if len(devices) < 4:
        for _ in range(4 - len(devices)):
            register(session, place.team_id, device_id=f"ISO{next(_clock)}")
        session.commit()
        devices = session.scalars(
            select(PatrolVolunteer.device_id).where(PatrolVolunteer.device_id.like("ISO%"))
        ).all()
    lon, lat = centre_of(session, place.grid)
    session.close()

    fixes = []
    for i, bad in enumerate(plan):
        device = devices[i % len(devices)]
        fixed_ms = bad if bad is not None else next(_clock)
        fixes.append(Fix(device_id=device, fixed_ms=fixed_ms, lon=lon, lat=lat, speed_mps=1.0))
    writer = GroupCommitWriter(session_factory)

    async def one(fix: Fix) -> object:
        try:
            return (await writer.submit([fix]))[0]
        except Exception as exc:  # noqa: BLE001 - a bad fix's own answer
            return exc

    async def main() -> list[object]:
        return list(await asyncio.gather(*(one(f) for f in fixes)))

    answers = aio.run(main())
    good = [f for f, bad in zip(fixes, plan, strict=True) if bad is None]
    for answer, bad in zip(answers, plan, strict=True):
        if bad is None:
            assert answer == OK
        else:
            assert isinstance(answer, Exception)
    check = session_factory()
    stored = check.scalar(
        select(func.count())
        .select_from(PatrolPosition)
        .where(PatrolPosition.fixed_ms.in_([f.fixed_ms for f in good]))
    )
    check.close()
    assert stored == len(good)
