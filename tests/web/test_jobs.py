"""The app starts the enabled modules' declared jobs (Module.jobs) that PINGAN_JOBS selects."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pingan.core.config import Settings
from pingan.core.modules import Job, ModuleError, resolve
from pingan.web.app import create_app
from pingan.web.jobs import JobRunner, selected_jobs


class TestSelected:
    def test_none_by_default_all_or_by_name(self) -> None:
        modules = resolve(None)
        assert selected_jobs(modules, "") == []
        names = [job.name for job in selected_jobs(modules, "all")]
        assert {"cases.refresh_sla", "devices.sweep"} <= set(names)
        assert [job.name for job in selected_jobs(modules, "devices.sweep")] == ["devices.sweep"]

    def test_an_unknown_job_stops_the_start_naming_it(self, settings: Settings, engine: Engine) -> None:
        with pytest.raises(ModuleError, match="PINGAN_JOBS: unknown job nope"):
            create_app(settings.model_copy(update={"jobs": "nope"}), engine=engine)


class TestRunner:
    def test_the_app_runs_the_selected_jobs_while_it_lives(self, settings: Settings, engine: Engine) -> None:
        ran = threading.Event()
        app = create_app(settings.model_copy(update={"jobs": "devices.sweep"}), engine=engine)
        assert [job.name for job in app.state.jobs] == ["devices.sweep"]
        app.state.jobs = (Job("test.tick", 0.01, lambda: lambda factory: ran.set()),)
        with TestClient(app):
            assert ran.wait(5)

    def test_a_failing_job_is_retried(self) -> None:
        calls: list[int] = []

        def run(factory: object) -> None:
            calls.append(1)
            raise RuntimeError("boom")

        runner = JobRunner(None, [Job("test.fail", 0.01, lambda: run)])  # type: ignore[arg-type]
        runner.start()
        try:
            for _ in range(500):
                if len(calls) >= 2:
                    break
                threading.Event().wait(0.01)
        finally:
            runner.stop()
        assert len(calls) >= 2
