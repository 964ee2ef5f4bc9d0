"""Categories and routing rules (data, editable by a district admin): category × area → owning unit."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.cases.models import CLOCKS, PRIORITIES, STAGES, Category, RoutingRule
from pingan.core.db import base_engine
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.security import Actor, Role, require_role
from pingan.units import service as units
from pingan.units.types import UnitKind

if TYPE_CHECKING:  # only the type of what units.service returns: the units' table is the units package's
    from pingan.units.models import Unit

TARGETS = ("unit", "street_centre", "community", "district_centre")


# --- categories -----------------------------------------------------------------------------------------


def get_category(session: Session, code: str, *, field: str = "category_code") -> Category:
    """One category by code; ValidationFailed naming ``field`` when unknown."""
    category = session.get(Category, code) if code else None
    if category is None:
        raise ValidationFailed(f"unknown category code {code!r}", field=field)
    return category


def list_categories(session: Session, *, public_only: bool = False) -> list[Category]:
    """All categories ordered by code (majors before their minors)."""
    stmt = select(Category).where(Category.is_active.is_(True)).order_by(Category.code)
    if public_only:
        stmt = stmt.where(Category.is_public.is_(True))
    return list(session.scalars(stmt))


def category_tree(session: Session) -> list[dict[str, Any]]:
    """Majors with their minor classes nested."""
    majors: dict[str, dict[str, Any]] = {}
    for cat in list_categories(session):
        node = category_dict(cat)
        if cat.parent_code is None:
            node["children"] = []
            majors[cat.code] = node
        elif cat.parent_code in majors:
            majors[cat.parent_code]["children"].append(node)
    return list(majors.values())


def category_dict(cat: Category) -> dict[str, Any]:
    return {
        "code": cat.code,
        "parent_code": cat.parent_code,
        "name_zh": cat.name_zh,
        "name_en": cat.name_en,
        "default_priority": cat.default_priority,
        "sla_minutes": cat.sla_minutes,
        "clock": cat.clock,
        "dedupe_radius_m": cat.dedupe_radius_m,
        "dedupe_window_minutes": cat.dedupe_window_minutes,
        "is_public": cat.is_public,
    }


def upsert_category(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    parent_code: str | None = None,
    default_priority: str = "normal",
    sla_minutes: dict[str, dict[str, int]] | None = None,
    clock: str = "working",
    dedupe_radius_m: float = 50.0,
    dedupe_window_minutes: int = 1440,
    is_public: bool = True,
    description: str = "",
    keywords: str = "",
    attributes: list[Any] | None = None,
) -> Category:
    """Create or update a category (district admin); ``clock``: "working" (limits in working time) or
    "natural" (24/7, for fire, gas and emergencies)."""
    require_role(actor, Role.DISTRICT_ADMIN)
    if not (code.isdigit() and len(code) in (2, 4)):
        raise ValidationFailed("category code: 2 digits (major) or 4 digits (minor)", field="code")
    if len(code) == 4:
        parent_code = code[:2]
        if session.get(Category, parent_code) is None:
            raise ValidationFailed(f"major class {parent_code} does not exist", field="code")
    else:
        parent_code = None
    if default_priority not in PRIORITIES:
        raise ValidationFailed(f"priority must be one of {', '.join(PRIORITIES)}", field="default_priority")
    _check_sla(sla_minutes or {})
    if clock not in CLOCKS:
        raise ValidationFailed(f"clock must be one of {', '.join(CLOCKS)}", field="clock")
    if not 0 <= dedupe_radius_m <= 5000:
        raise ValidationFailed("dedupe radius must be 0–5000 m", field="dedupe_radius_m")
    cat = session.get(Category, code) or Category(code=code)
    cat.parent_code = parent_code
    cat.name_zh, cat.name_en = name_zh, name_en
    cat.default_priority = default_priority
    cat.sla_minutes = sla_minutes or {}
    cat.clock = clock
    cat.dedupe_radius_m, cat.dedupe_window_minutes = dedupe_radius_m, dedupe_window_minutes
    cat.is_public, cat.description, cat.keywords = is_public, description, keywords
    cat.attributes = attributes or []
    cat.is_active = True
    session.add(cat)
    session.flush()
    _forget_rules(session)
    audit.record(
        session, actor, action="case_category.save", subject_type="case_category", subject_id=code,
        details=category_dict(cat),
    )  # fmt: skip
    return cat


def _check_sla(table: dict[str, dict[str, int]]) -> None:
    for priority, stages in table.items():
        if priority not in PRIORITIES or not isinstance(stages, dict):
            raise ValidationFailed(f"SLA: unknown priority {priority!r}", field="sla_minutes")
        for stage, minutes in stages.items():
            if stage not in STAGES or not isinstance(minutes, int) or minutes <= 0:
                raise ValidationFailed(
                    f"SLA: {priority}.{stage} must be a stage of {STAGES} with positive minutes",
                    field="sla_minutes",
                )


# --- routing rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """The outcome of routing: the unit (or None) and the rule that decided it."""

    unit: Unit | None
    rule: RoutingRule | None
    reason: str


def _prefix_of(value: str | None, prefix: str) -> bool:
    return (value or "")[: len(prefix)] == prefix


def _specificity(rule: RoutingRule) -> tuple[int, int, int, int]:
    return (rule.priority, len(rule.category_prefix), len(rule.area_prefix), -rule.id)


_RULES_TTL = 5.0
_rules_lock = threading.Lock()


@dataclass(slots=True)
class _Table:
    """What intake routes by, remembered per database for a few seconds (rules and units change rarely;
    another process's change is seen within that time): the active rules, most specific first; every unit,
    by code; and the routes already worked out from them, by (category, area)."""

    at: float
    rules: list[RoutingRule]
    units: list[Unit]
    routes: dict[tuple[str, str], tuple[int | None, str]]


_tables: dict[Any, _Table] = {}


def _forget_rules(session: Session) -> None:
    session.info["routing_changed"] = True
    with _rules_lock:
        _tables.clear()
        _categories_cache.clear()


def route_snapshot(
    session: Session,
    *,
    category_code: str,
    area_code: str,
    street_code: str | None,
    community_code: str | None,
) -> tuple[int | None, str]:
    """(owning unit id, reason) of :func:`route_case`, worked out in memory from the remembered rules and
    units (intake routes thousands of reports to a few hundred grid × category pairs)."""
    where = {"street_code": street_code, "community_code": community_code}
    if session.info.get("routing_changed"):  # this transaction changed rules: read them, share nothing
        route = route_case(session, category_code=category_code, area_code=area_code, **where)
        return (route.unit.id if route.unit else None, route.reason)
    key = base_engine(session.get_bind())
    now = time.monotonic()
    table = _tables.get(key)
    if table is None or now - table.at >= _RULES_TTL:
        rules, units_ = _read_rules(session), units.list_units(session)
        for row in (*rules, *units_):
            session.expunge(row)
        table = _Table(now, rules, units_, {})
        with _rules_lock:
            _tables[key] = table
    pair = (category_code, area_code)
    known = table.routes.get(pair)
    if known is None:
        route = _route(table.rules, table.units, category_code=category_code, area_code=area_code, **where)
        known = table.routes[pair] = (route.unit.id if route.unit else None, route.reason)
    return known


_categories_cache: dict[Any, tuple[float, dict[str, Category]]] = {}


def category_snapshot(session: Session, code: str, *, field: str = "category_code") -> Category:
    """A read-only copy of a category (the intake's hot path): cached per database for a few seconds like
    the rules, forgotten when this process changes a category; ValidationFailed naming ``field``."""
    key = base_engine(session.get_bind())
    now = time.monotonic()
    hit = _categories_cache.get(key)
    if hit is None or now - hit[0] >= _RULES_TTL or session.info.get("routing_changed"):
        if session.info.get("routing_changed"):
            return get_category(session, code, field=field)
        categories = list(session.scalars(select(Category)))
        for cat in categories:
            session.expunge(cat)
        hit = (now, {cat.code: cat for cat in categories})
        with _rules_lock:
            _categories_cache[key] = hit
    category = hit[1].get(code) if code else None
    if category is None:
        raise ValidationFailed(f"unknown category code {code!r}", field=field)
    return category


def route_case(
    session: Session,
    *,
    category_code: str,
    area_code: str,
    street_code: str | None,
    community_code: str | None,
) -> Route:
    """The owning unit for a category in an area, by the rules and units as this transaction sees them."""
    return _route(
        _read_rules(session),
        units.list_units(session),
        category_code=category_code,
        area_code=area_code,
        street_code=street_code,
        community_code=community_code,
    )


def _read_rules(session: Session) -> list[RoutingRule]:
    """Active rules, most specific first."""
    rules = list(session.scalars(select(RoutingRule).where(RoutingRule.is_active.is_(True))))
    rules.sort(key=_specificity, reverse=True)
    return rules


def _route(
    rules: list[RoutingRule],
    all_units: list[Unit],
    *,
    category_code: str,
    area_code: str,
    street_code: str | None,
    community_code: str | None,
) -> Route:
    """The most specific matching rule whose target exists, else the street (or district) centre."""
    for rule in rules:
        if not (_prefix_of(category_code, rule.category_prefix) and _prefix_of(area_code, rule.area_prefix)):
            continue
        unit = _target_unit(all_units, rule.target, rule.unit_id, street_code, community_code)
        if unit is not None:
            reason = f"rule {rule.id}: {rule.category_prefix or '*'} × {rule.area_prefix or '*'}"
            return Route(unit, rule, reason)
    fallback = _target_unit(all_units, "street_centre", None, street_code, community_code) or _target_unit(
        all_units, "district_centre", None, street_code, community_code
    )
    return Route(fallback, None, "no rule matched: the street (or district) centre owns it")


def _target_unit(
    all_units: list[Unit],
    target: str,
    unit_id: int | None,
    street_code: str | None,
    community_code: str | None,
) -> Unit | None:
    """The unit a rule's target names; ``all_units`` ordered by code. A kind's unit that is inactive owns
    nothing (the next rule, or the fallback, decides)."""
    if target == "unit":
        return next((unit for unit in all_units if unit.id == unit_id), None) if unit_id else None
    kind = {
        "street_centre": UnitKind.STREET_CENTRE,
        "community": UnitKind.COMMUNITY,
        "district_centre": UnitKind.DISTRICT_CENTRE,
    }[target].value
    wanted = {"street_centre": street_code, "community": community_code}.get(target)
    if target != "district_centre" and not wanted:
        return None
    for unit in all_units:
        if unit.kind != kind:
            continue
        if target == "district_centre" or unit.area_code == wanted:
            return unit if unit.is_active else None
    return None


def list_rules(session: Session) -> list[RoutingRule]:
    """Every rule, most specific first."""
    return sorted(session.scalars(select(RoutingRule)).all(), key=_specificity, reverse=True)


def get_rule(session: Session, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"no routing rule {rule_id}", field="rule_id")
    return rule


def save_rule(
    session: Session,
    actor: Actor,
    *,
    rule_id: int | None = None,
    category_prefix: str = "",
    area_prefix: str = "",
    unit_id: int | None = None,
    target: str = "unit",
    priority: int = 0,
    note: str = "",
    is_active: bool = True,
) -> RoutingRule:
    """Create or change a routing rule (district admin)."""
    require_role(actor, Role.DISTRICT_ADMIN)
    _validate_rule(session, category_prefix, area_prefix, unit_id, target)
    rule = get_rule(session, rule_id) if rule_id is not None else RoutingRule()
    rule.category_prefix, rule.area_prefix = category_prefix, area_prefix
    rule.unit_id = unit_id if target == "unit" else None
    rule.target, rule.priority, rule.note, rule.is_active = target, priority, note, is_active
    session.add(rule)
    session.flush()
    _forget_rules(session)
    audit.record(
        session, actor, action="routing_rule.save", subject_type="routing_rule", subject_id=rule.id,
        details=rule_dict(rule),
    )  # fmt: skip
    return rule


def delete_rule(session: Session, actor: Actor, *, rule_id: int) -> None:
    """Remove a routing rule (district admin)."""
    require_role(actor, Role.DISTRICT_ADMIN)
    rule = get_rule(session, rule_id)
    details = rule_dict(rule)
    session.delete(rule)
    session.flush()
    _forget_rules(session)
    audit.record(
        session, actor, action="routing_rule.delete", subject_type="routing_rule", subject_id=rule_id,
        details=details,
    )  # fmt: skip


def _validate_rule(
    session: Session, category_prefix: str, area_prefix: str, unit_id: int | None, target: str
) -> None:
    if category_prefix and not (category_prefix.isdigit() and len(category_prefix) in (2, 4)):
        raise ValidationFailed("category prefix: empty, 2 or 4 digits", field="category_prefix")
    if area_prefix and not area_prefix.isdigit():
        raise ValidationFailed("area prefix must be digits of an area code", field="area_prefix")
    if target not in TARGETS:
        raise ValidationFailed(f"target must be one of {', '.join(TARGETS)}", field="target")
    if target == "unit":
        if unit_id is None:
            raise ValidationFailed("a rule with target 'unit' needs unit_id", field="unit_id")
        if units.find_unit(session, unit_id) is None:
            raise ValidationFailed(f"no unit {unit_id}", field="unit_id")


def rule_dict(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "category_prefix": rule.category_prefix,
        "area_prefix": rule.area_prefix,
        "unit_id": rule.unit_id,
        "target": rule.target,
        "priority": rule.priority,
        "note": rule.note,
        "is_active": rule.is_active,
    }
