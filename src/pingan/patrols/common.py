"""Shared helpers of the patrols module: roles, time conversions."""

from __future__ import annotations

from datetime import UTC, datetime

from pingan.core.security import Actor, Grant, Role

# who manages volunteers, teams and shifts; who may read them (masked); who may see personal data in full
MANAGE_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER)
READ_ROLES = (
    Role.DISTRICT_ADMIN,
    Role.STREET_OPERATOR,
    Role.GRID_WORKER,
    Role.LIAISON_CADRE,
    Role.PATROL_VOLUNTEER,
)
# who may post positions in batches: the district (gateways) for any device, a volunteer for their own
BATCH_ROLES = (Role.DISTRICT_ADMIN, Role.PATROL_VOLUNTEER)
REVEAL_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
DISPATCH_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER)


def to_ms(value: datetime) -> int:
    """Epoch milliseconds (UTC) of an aware datetime (naive = UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(round(value.timestamp() * 1000))


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def within_actor(area_code: str) -> Actor:
    """A pseudo-actor whose scope is one area: narrows a query with ``in_scope`` to that area."""
    return Actor(account_id=None, username="within", grants=(Grant(Role.DISTRICT_ADMIN, area_code),))
