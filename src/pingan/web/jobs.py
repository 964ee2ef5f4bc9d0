"""The enabled modules' background jobs (``Module.jobs``), run by each server process on daemon threads.

Which ones: ``PINGAN_JOBS`` (``all``, names, or empty = none). Each job's ``run(session_factory)`` takes its
own lease (``cases.interface.run_leased``), so one process of the deployment runs it at a time however many
servers tick it; a failed pass is logged and retried at the next tick."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pingan.core.modules import Job, Module, ModuleError, load, parse_names

log = logging.getLogger("pingan.jobs")


def selected_jobs(modules: Sequence[Module], wanted: str) -> list[Job]:
    """The enabled modules' jobs that ``wanted`` (a ``PINGAN_JOBS`` value) selects; an unknown name is a
    ModuleError naming it and the jobs there are."""
    declared = {job.name: job for module in modules for job in module.jobs}
    names = parse_names(wanted)
    if names is None:
        return []
    if names == ("all",):
        return list(declared.values())
    unknown = [n for n in names if n not in declared]
    if unknown:
        raise ModuleError(
            f"PINGAN_JOBS: unknown job {', '.join(unknown)} (declared: {', '.join(declared) or 'none'})",
            field="PINGAN_JOBS",
        )
    return [declared[n] for n in names]


class JobRunner:
    """One daemon thread per job, running it every ``every_seconds`` (first after one period)."""

    def __init__(self, factory: sessionmaker[Session], jobs: Sequence[Job]) -> None:
        self.factory = factory
        self.jobs = list(jobs)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(job,), name=f"pingan-{job.name}", daemon=True)
            for job in self.jobs
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def run_once(self, job: Job) -> Any:
        """One pass of ``job`` (what each tick does)."""
        return load(job.ref)(self.factory)

    def _run(self, job: Job) -> None:
        while not self._stop.wait(job.every_seconds):
            try:
                self.run_once(job)
            except Exception:  # noqa: BLE001 - a failed pass is logged and retried next tick
                log.exception("job %s failed", job.name)
