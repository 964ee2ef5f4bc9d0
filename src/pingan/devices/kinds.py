"""The device kinds the installed modules declare (``Module.device_kinds``), by code."""

from __future__ import annotations

from pingan.core.errors import ValidationFailed
from pingan.core.modules import DeviceKind, installed


def device_kinds() -> dict[str, DeviceKind]:
    """Every declared kind of every installed module (a device of a disabled module's kind keeps its row)."""
    return {kind.code: kind for module in installed().values() for kind in module.device_kinds}


def device_kind(code: str, *, field: str = "kind") -> DeviceKind:
    """The declared kind ``code``, or ValidationFailed naming ``field`` and the known kinds."""
    kinds = device_kinds()
    found = kinds.get(code)
    if found is None:
        known = ", ".join(sorted(kinds)) or "none"
        raise ValidationFailed(f"{field} must be a declared device kind ({known})", field=field)
    return found
