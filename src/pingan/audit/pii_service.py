"""Reading personal data in full: explicit reveals with a purpose and a reason, searches by personal data,
bulk reads and exports — all audited under one naming scheme, ``pii.*``.

Modules store identifiers protected (:func:`pingan.core.pii.protect_phone` / ``protect_id_number``) and
show the masked form. Whoever needs full values asks through :func:`reveal_fields` (or :func:`reveal` for
one field, which also checks role and scope): only the fields asked for are decrypted and returned, a
purpose chosen from :data:`PURPOSES` and a written reason are required, and one audit record (who, when,
which fields, why, client IP) is written before the plaintext leaves the service. A search by a phone or
ID number is recorded by :func:`audit_search`; lists and exports by :func:`audit_bulk_read`.

Actions: ``pii.reveal``, ``pii.search``, ``pii.export``, ``pii.bulk_read`` (the auditor's ``pii.`` finds them
all). Records written before this scheme under ``reveal`` and ``pii_search`` are found and shown under their
new names (:data:`pingan.audit.service.LEGACY_ACTIONS`); the table is append-only, so they are not rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.core.errors import ValidationFailed
from pingan.core.pii import Protector
from pingan.core.security import Actor, Role, ensure_in_scope, require_role

# Roles that may see full values by default (callers narrow or widen per field).
REVEAL_ROLES: tuple[Role, ...] = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.DEPARTMENT_HANDLER)
MIN_REASON = 4
MAX_REASON = 500
# Why personal data may be read in full (the purpose chosen in every reveal), with the Chinese label.
PURPOSES: dict[str, str] = {
    "contact": "联系当事人",
    "verify_identity": "核实身份",
    "case_handling": "事件处置",
    "emergency": "紧急救助",
    "home_visit": "入户走访",
    "legal_request": "依法协查",
    "data_correction": "更正登记信息",
}


def check_reason(reason: str | None, *, field: str = "reason") -> str:
    """A written reason is mandatory for every reveal and export: at least ``MIN_REASON`` characters."""
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON:
        raise ValidationFailed(
            f"say why you need the full values (a reason of at least {MIN_REASON} characters)", field=field
        )
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"reason: at most {MAX_REASON} characters", field=field)
    return text


def check_purpose(purpose: str | None) -> str:
    """One of :data:`PURPOSES` (422 naming the field ``purpose`` and the choices otherwise)."""
    if purpose not in PURPOSES:
        raise ValidationFailed(f"purpose: one of {', '.join(PURPOSES)}", field="purpose")
    return purpose


def check_fields(fields: Sequence[str] | None, known: Iterable[str]) -> list[str]:
    """The fields asked for, each known, none twice (422 naming ``fields`` otherwise)."""
    names = list(known)
    asked = list(dict.fromkeys(fields or ()))
    if not asked:
        raise ValidationFailed(f"fields: name the fields to reveal, among {', '.join(names)}", field="fields")
    unknown = [f for f in asked if f not in names]
    if unknown:
        among = ", ".join(names)
        raise ValidationFailed(f"fields: {', '.join(unknown)} unknown; among {among}", field="fields")
    return asked


def reveal_fields(
    session: Session,
    actor: Actor,
    *,
    protector: Protector,
    subject_type: str,
    subject_id: str | int,
    area_code: str | None,
    columns: Mapping[str, bytes | None],
    fields: Sequence[str] | None,
    purpose: str | None,
    reason: str | None,
    details: dict[str, Any] | None = None,
) -> dict[str, str | None]:
    """The plaintext of the asked ``fields`` only (None where not recorded), with one ``pii.reveal`` record.

    The caller has checked role and scope (:func:`reveal` does both for one field)."""
    asked = check_fields(fields, columns)
    why = check_purpose(purpose)
    text = check_reason(reason)
    out: dict[str, str | None] = {}
    for name in asked:
        token = columns[name]
        out[name] = protector.decrypt(token) if token is not None else None
    record(
        session,
        actor,
        action="pii.reveal",
        subject_type=subject_type,
        subject_id=subject_id,
        area_code=area_code,
        reason=f"{why}: {text}",
        details={**(details or {}), "purpose": why, "fields": [f for f in asked if out[f] is not None]},
    )
    return out


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
    purpose: str | None,
    roles: Iterable[Role] = REVEAL_ROLES,
    unit_id: int | None = None,
) -> str:
    """The plaintext of one protected field, for an actor with the role and the scope; audited."""
    allowed = tuple(roles)
    require_role(actor, *allowed)
    ensure_in_scope(actor, area_code, what=subject_type, roles=allowed, unit_id=unit_id)
    check_purpose(purpose)
    check_reason(reason)
    if ciphertext is None:
        raise ValidationFailed(f"{field} is not recorded for this {subject_type}", field="field")
    value = reveal_fields(
        session,
        actor,
        protector=protector,
        subject_type=subject_type,
        subject_id=subject_id,
        area_code=area_code,
        columns={field: ciphertext},
        fields=[field],
        purpose=purpose,
        reason=reason,
    )[field]
    assert value is not None
    return value


def audit_search(
    session: Session,
    actor: Actor,
    *,
    subject_type: str,
    fields: Iterable[str],
    area_code: str | None = None,
    masked: dict[str, str] | None = None,
) -> None:
    """Record a search by personal data (a phone or ID number looked up through its blind index)."""
    record(
        session,
        actor,
        action="pii.search",
        subject_type=subject_type,
        area_code=area_code,
        details={"fields": sorted(fields), "masked": masked or {}},
    )


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
