"""An acknowledged report survives kill -9 of the server (SQLite WAL, committed before the answer)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select

from pingan.accounts import service as accounts
from pingan.cases.models import Case
from pingan.core.db import create_db_engine, make_session_factory, transaction
from tests.cases.helpers import GRID, point_in
from tests.cases.server import copy_db, serving


class TestKillNine:
    def test_every_acknowledged_case_is_there_after_restart(
        self, demo_db_template: Path, tmp_path: Path
    ) -> None:
        url = copy_db(demo_db_template, tmp_path / "durable.db")
        engine = create_db_engine(url)
        with transaction(make_session_factory(engine)) as session:
            lon, lat = point_in(session, GRID)
            account = accounts.get_account_by_username(session, "gridworker")
            token = accounts.issue_token(session, account_id=account.id)
        engine.dispose()
        headers = {"Authorization": f"Bearer {token}"}
        acknowledged: list[str] = []
        with serving(url) as (base, proc):
            with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
                for i in range(40):
                    r = client.post(
                        "/api/v1/cases",
                        json={
                            "category_code": "0102",
                            "description": f"垃圾 {i}",
                            "lon": lon,
                            "lat": lat,
                            "source": "grid_worker",
                        },
                    )
                    assert r.status_code == 201, r.text
                    acknowledged.append(r.json()["number"])
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with serving(url) as (base, _proc):
            with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
                for number in acknowledged:
                    assert client.get(f"/api/v1/cases/by-number/{number}").status_code == 200, number
        check = create_engine(url)
        with check.connect() as conn:
            stored = set(conn.execute(select(Case.number).where(Case.number.in_(acknowledged))).scalars())
        check.dispose()
        assert stored == set(acknowledged)
