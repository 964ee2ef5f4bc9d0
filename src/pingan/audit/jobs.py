"""Retention: every module registers what it keeps and how to purge it; one audited job purges all.

A module registers in its own ``jobs.py`` (imported by ``pingan retention purge`` and the scheduler)::

    register_retention("case_photos", default_days=730, purge=purge_old_photos,
                       description="photos of closed cases")

``purge(session, cutoff)`` deletes rows older than ``cutoff`` (UTC) and returns how many went. Days come
from ``Settings.retention_days`` (``PINGAN_RETENTION_DAYS='{"case_photos": 365}'``) or the default; 0 keeps
forever. Each purged kind writes an audit record ``retention.purge`` in the same transaction.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditPurgeGuard, AuditRecord
from pingan.audit.service import record
from pingan.core.clock import utcnow
from pingan.core.errors import ValidationFailed
from pingan.core.security import Actor

PurgeFn = Callable[[Session, datetime], int]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RetentionKind:
    """One kind of record with a retention period."""

    kind: str
    default_days: int
    purge: PurgeFn
    description: str = ""


_REGISTRY: dict[str, RetentionKind] = {}


def register_retention(kind: str, *, default_days: int, purge: PurgeFn, description: str = "") -> None:
    """Declare a kind of record to purge after ``default_days`` (configurable per installation)."""
    _REGISTRY[kind] = RetentionKind(kind, default_days, purge, description)


def load_retention_modules() -> None:
    """Import every ``pingan.<module>.jobs`` so that their registrations run."""
    import pingan

    for info in pkgutil.iter_modules(pingan.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"pingan.{info.name}.jobs")
            except ModuleNotFoundError as exc:
                if exc.name != f"pingan.{info.name}.jobs":
                    raise


def retention_kinds() -> list[RetentionKind]:
    """The registered kinds, by name."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def retention_days(kind: str, overrides: Mapping[str, int]) -> int:
    """Days to keep ``kind``: the configured value or its default."""
    return int(overrides.get(kind, _REGISTRY[kind].default_days))


def _check_overrides(overrides: Mapping[str, int]) -> None:
    unknown = sorted(set(overrides) - set(_REGISTRY))
    if unknown:
        known = ", ".join(sorted(_REGISTRY))
        raise ValidationFailed(
            f"unknown retention kind(s) {', '.join(unknown)}; known: {known}", field="retention_days"
        )
    for kind, days in overrides.items():
        if int(days) < 0:
            raise ValidationFailed(f"retention days of {kind} cannot be negative", field="retention_days")


def purge_expired(
    session: Session,
    actor: Actor,
    *,
    overrides: Mapping[str, int] | None = None,
    now: datetime | None = None,
    kinds: list[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Purge every registered kind past its retention period; each purge is itself audited."""
    overrides = overrides or {}
    _check_overrides(overrides)
    now = now or utcnow()
    chosen = retention_kinds() if not kinds else [_kind(k) for k in kinds]
    deleted: dict[str, int] = {}
    for index, spec in enumerate(chosen):
        if progress:
            progress(spec.kind, index, len(chosen))
        days = retention_days(spec.kind, overrides)
        if days == 0:
            continue
        cutoff = now - timedelta(days=days)
        count = spec.purge(session, cutoff)
        deleted[spec.kind] = count
        record(
            session,
            actor,
            action="retention.purge",
            subject_type=spec.kind,
            details={"cutoff": cutoff.isoformat(), "days": days, "deleted": count},
        )
    if progress:
        progress("done", len(chosen), len(chosen))
    return deleted


def _kind(kind: str) -> RetentionKind:
    if kind not in _REGISTRY:
        raise ValidationFailed(
            f"unknown retention kind {kind}; known: {', '.join(sorted(_REGISTRY))}", field="kind"
        )
    return _REGISTRY[kind]


def purge_audit_records(session: Session, cutoff: datetime) -> int:
    """The one controlled path that deletes audit records (the DB refuses DELETE without the guard row)."""
    count = session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.at < cutoff)) or 0
    if not count:
        return 0
    guard = AuditPurgeGuard(username="retention.purge")
    session.add(guard)
    session.flush()
    session.execute(delete(AuditRecord).where(AuditRecord.at < cutoff))
    session.delete(guard)
    session.flush()
    return count


register_retention(
    "audit",
    default_days=3 * 365,
    purge=purge_audit_records,
    description="audit records (the purge itself is recorded)",
)
