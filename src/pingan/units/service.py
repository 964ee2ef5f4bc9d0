"""Units: create, find and list the organisations that own work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, in_scope
from pingan.units.models import Unit, UnitKind


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


def get_unit(session: Session, unit_id: int) -> Unit:
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
) -> list[Unit]:
    """Units ordered by code; an actor sees the units whose jurisdiction overlaps their scope."""
    stmt = select(Unit).order_by(Unit.code)
    if kind is not None:
        stmt = stmt.where(Unit.kind == kind.value)
    if area_prefix:
        stmt = stmt.where(Unit.area_code.startswith(area_prefix, autoescape=True))  # lint-scope: ok
    if actor is not None:
        stmt = in_scope(stmt, Unit.area_code, actor)
    return list(session.scalars(stmt))
