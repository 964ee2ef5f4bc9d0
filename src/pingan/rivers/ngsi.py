"""NGSI-LD ``WaterQualityObserved`` entities (normalized, or key-values) as measures for :mod:`.ingest`.

The station is the entity id's part after ``urn:ngsi-ld:WaterQualityObserved:`` up to the next ``:`` (one
entity per station, or per observation with the time appended). Each numeric attribute is a parameter (the
Smart Data Model's names: ``O2``, ``NH4`` / ``ammoniaNitrogen`` as N, ``P-TOT``, ``N-TOT``, ``cod`` …, or
ours),
its unit the ``unitCode`` (else the model's default unit), its time ``observedAt`` (else ``dateObserved``).
``measurand`` strings ``"CODMn, 3.1, M1, permanganate index"`` carry parameters without a model attribute.
An attribute that is no parameter is refused as ``unknown_parameter`` (counted), not skipped silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pingan.core.errors import ValidationFailed

from .ingest import Measure
from .parameters import NGSI_DEFAULT_UNITS, NGSI_NAMES

PREFIX = "urn:ngsi-ld:WaterQualityObserved:"
TYPE = "WaterQualityObserved"
# attributes of the model that are no measurement
META = frozenset(
    {
        "id", "type", "@context", "dateObserved", "location", "name", "description", "address",
        "areaServed", "dataProvider", "source", "refPointOfInterest", "refDevice", "measurand",
        "dateCreated", "dateModified", "owner", "seeAlso", "alternateName",
    }
)  # fmt: skip


def measures(entities: list[dict[str, Any]]) -> list[Measure]:
    """Every measure of the entities; ValidationFailed naming the field for an entity that is not one."""
    out: list[Measure] = []
    for index, entity in enumerate(entities):
        out.extend(_entity(entity, f"{index}"))
    return out


def _entity(entity: dict[str, Any], where: str) -> list[Measure]:
    if entity.get("type") != TYPE:
        raise ValidationFailed(f"entity {where}: type must be {TYPE}", field="type")
    entity_id = entity.get("id")
    if not isinstance(entity_id, str) or not entity_id.startswith(PREFIX) or len(entity_id) <= len(PREFIX):
        raise ValidationFailed(f"entity {where}: id must be {PREFIX}<station code>", field="id")
    station = entity_id[len(PREFIX) :].split(":", 1)[0]
    default_at = _time(_value(entity.get("dateObserved")), "dateObserved", required=False)
    out: list[Measure] = []
    for name, attribute in entity.items():
        if name in META:
            continue
        value, unit, at = _property(attribute, name)
        at = at or default_at
        if at is None:
            raise ValidationFailed(
                f"entity {where}: {name} has no observedAt and no dateObserved", field=name
            )
        parameter = NGSI_NAMES.get(name, name)
        out.append(Measure(station, parameter, value, unit or NGSI_DEFAULT_UNITS.get(parameter), at))
    measurands = _value(entity.get("measurand")) or []
    if not isinstance(measurands, list):
        measurands = [measurands]
    for text in measurands:
        if default_at is None:
            raise ValidationFailed(f"entity {where}: measurand needs dateObserved", field="dateObserved")
        out.append(_measurand(station, text, default_at))
    return out


def _value(attribute: Any) -> Any:
    if isinstance(attribute, dict) and "value" in attribute:
        attribute = attribute["value"]
    if isinstance(attribute, dict) and "@value" in attribute:
        attribute = attribute["@value"]
    return attribute


def _property(attribute: Any, name: str) -> tuple[float, str | None, datetime | None]:
    unit: str | None = None
    at: datetime | None = None
    if isinstance(attribute, dict):
        unit = attribute.get("unitCode")
        if unit is not None and not isinstance(unit, str):
            raise ValidationFailed(f"{name}.unitCode must be a string", field=name)
        at = _time(attribute.get("observedAt"), name, required=False)
    value = _value(attribute)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationFailed(f"{name} must be a number", field=name)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed(f"{name} must be a finite number", field=name)
    return float(value), unit, at


def _time(text: Any, field: str, *, required: bool) -> datetime | None:
    if text is None and not required:
        return None
    try:
        at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"{field} must be an ISO 8601 date and time", field=field) from None
    if at.tzinfo is None:
        raise ValidationFailed(f"{field} must carry a time zone (e.g. Z)", field=field)
    return at


def _measurand(station: str, text: Any, at: datetime) -> Measure:
    parts = [p.strip() for p in str(text).split(",")]
    try:
        value = float(parts[1])
    except (IndexError, ValueError):
        raise ValidationFailed(
            "measurand must be 'symbol, value, unitCode, description'", field="measurand"
        ) from None
    unit = parts[2] if len(parts) > 2 and parts[2] else None
    symbol = NGSI_NAMES.get(parts[0], parts[0])
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed("measurand value must be a finite number", field="measurand")
    return Measure(station, symbol, value, unit, at)
