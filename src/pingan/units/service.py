"""Units: create, find and list the organisations that own work."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, in_scope
from pingan.units.models import Unit
from pingan.units.types import UnitKind


def create_unit(
    session: Session,
    *,
    code: str,
    name: str,
    kind: UnitKind | str,
    area_code: str,
    parent_id: int | None = None,
) -> Unit:
    """Register a unit; codes are unique."""
    try:
        kind = UnitKind(kind)
    except ValueError:
        raise ValidationFailed(f"unknown unit kind {kind!r}", field="kind") from None
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"a unit with code {code} exists", field="code")
    unit = Unit(code=code, name=name, kind=kind.value, area_code=area_code, parent_id=parent_id)
    session.add(unit)
    session.flush()
    return unit


def find_unit(session: Session, unit_id: int) -> Unit | None:
    """One unit by id, or None."""
    return session.get(Unit, unit_id)


def get_unit(session: Session, unit_id: int) -> Unit:
    """One unit by id, or NotFound."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"no unit {unit_id}", field="unit_id")
    return unit


def get_unit_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"no unit with code {code}", field="unit_code")
    return unit


def list_units(
    session: Session,
    *,
    kind: UnitKind | None = None,
    area_prefix: str | None = None,
    actor: Actor | None = None,
    active_only: bool = False,
) -> list[Unit]:
    """Units ordered by code (``active_only``: those work can be sent to); an actor sees the units whose
    jurisdiction overlaps their scope."""
    stmt = select(Unit).order_by(Unit.code)
    if active_only:
        stmt = stmt.where(Unit.is_active.is_(True))
    if kind is not None:
        stmt = stmt.where(Unit.kind == kind.value)
    if area_prefix:
        stmt = stmt.where(Unit.area_code.startswith(area_prefix, autoescape=True))  # lint-scope: ok
    if actor is not None:
        stmt = in_scope(stmt, Unit.area_code, actor)
    return list(session.scalars(stmt))


def units_by_id(session: Session, ids: Collection[int] | None = None) -> dict[int, Unit]:
    """The units with these ids (all units when ``ids`` is None), by id."""
    stmt = select(Unit)
    if ids is not None:
        if not ids:
            return {}
        stmt = stmt.where(Unit.id.in_(list(ids)))
    return {u.id: u for u in session.scalars(stmt)}
