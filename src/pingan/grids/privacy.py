"""Personal data in the grid registers: helpers around the installation's Protector (core.pii.get_protector).

Full values leave the service only through audit.pii_service.reveal (role, scope, reason, audit record).
"""

from __future__ import annotations

from pingan.core.pii import Protector


def encrypt_optional(protector: Protector, value: str | None) -> bytes | None:
    """Encrypt a value, or None for an empty one."""
    return protector.encrypt(value) if value else None


def decrypt_optional(protector: Protector, token: bytes | None) -> str | None:
    """Decrypt a value stored by :func:`encrypt_optional`."""
    return protector.decrypt(token) if token else None
