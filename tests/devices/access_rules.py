"""Access rules of the /api/v1/devices routes for the access matrix (tests/security/access_rules.py)."""

from __future__ import annotations

from pingan.core.security import Role
from tests.security.access_rules import ROLE, Target, rule

READ = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER, Role.LIAISON_CADRE)

rule("GET", "/api/v1/devices", ROLE, roles=READ, build=lambda c: Target("/api/v1/devices"))
rule("GET", "/api/v1/devices/summary", ROLE, roles=READ, build=lambda c: Target("/api/v1/devices/summary"))
