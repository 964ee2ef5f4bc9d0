"""Reading personal data in full: explicit reveals with a reason, bulk reads and exports — all audited.

Modules store identifiers protected (:func:`pingan.core.pii.protect_phone` / ``protect_id_number``) and
show the masked form. Whoever needs the full value asks for it through :func:`reveal`, which checks role
and scope, insists on a reason and writes an audit record (who, when, what, why, client IP) before the
plaintext leaves the service. Lists and exports that carry personal data call :func:`audit_bulk_read`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.core.errors import ValidationFailed
from pingan.core.pii import Protector
from pingan.core.security import Actor, Role, ensure_in_scope, require_role

# Roles that may see full values by default (callers narrow or widen per field).
REVEAL_ROLES: tuple[Role, ...] = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.DEPARTMENT_HANDLER)
MIN_REASON = 2
MAX_REASON = 500


def check_reason(reason: str | None, *, field: str = "reason") -> str:
    """A stated purpose is mandatory for every reveal and export."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise ValidationFailed("say why you need the full value (a reason is required)", field=field)
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"reason: at most {MAX_REASON} characters", field=field)
    return text


def reveal(
    session: Session,
    actor: Actor,
    *,
    protector: Protector,
    subject_type: str,
    subject_id: str | int,
    area_code: str | None,
    field: str,
    ciphertext: bytes | None,
    reason: str | None,
    roles: Iterable[Role] = REVEAL_ROLES,
    unit_id: int | None = None,
) -> str:
    """The plaintext of one protected field, for an actor with the role and the scope; audited."""
    allowed = tuple(roles)
    require_role(actor, *allowed)
    ensure_in_scope(actor, area_code, what=subject_type, roles=allowed, unit_id=unit_id)
    why = check_reason(reason)
    if ciphertext is None:
        raise ValidationFailed(f"{field} is not recorded for this {subject_type}", field="field")
    value = protector.decrypt(ciphertext)
    record(
        session,
        actor,
        action="pii.reveal",
        subject_type=subject_type,
        subject_id=subject_id,
        area_code=area_code,
        reason=why,
        details={"field": field},
    )
    return value


def audit_bulk_read(
    session: Session,
    actor: Actor,
    *,
    subject_type: str,
    count: int,
    fields: Iterable[str],
    area_code: str | None = None,
    export: bool = False,
    reason: str | None = None,
    filters: dict[str, Any] | None = None,
) -> None:
    """Record that a list or export carried personal data (exports need a reason)."""
    why = check_reason(reason) if export else (reason or None)
    record(
        session,
        actor,
        action="pii.export" if export else "pii.bulk_read",
        subject_type=subject_type,
        area_code=area_code,
        reason=why,
        details={"count": count, "fields": sorted(fields), "filters": filters or {}},
    )
