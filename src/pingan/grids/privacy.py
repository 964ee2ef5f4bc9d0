"""Personal data in the grid registers: the installation's Protector (core.pii.protector_for) and helpers.

Full values leave the service only through audit.pii_service.reveal (role, scope, reason, audit record).
"""

from __future__ import annotations

from pingan.core.config import get_settings
from pingan.core.errors import PinganError
from pingan.core.pii import Protector, protector_for


def get_protector() -> Protector:
    """The Protector from ``PINGAN_PII_KEY`` (demo mode derives one from the secret key); 503 when missing."""
    try:
        return protector_for(get_settings())
    except ValueError as exc:
        raise PinganError(str(exc), code="pii_key_missing", status=503) from None


def demo_protector() -> Protector:
    """The Protector for synthetic demo data: the configured key, else the demo-mode key."""
    settings = get_settings()
    return protector_for(settings.model_copy(update={"demo_mode": True}))


def encrypt_optional(protector: Protector, value: str | None) -> bytes | None:
    """Encrypt a value, or None for an empty one."""
    return protector.encrypt(value) if value else None


def decrypt_optional(protector: Protector, token: bytes | None) -> str | None:
    """Decrypt a value stored by :func:`encrypt_optional`."""
    return protector.decrypt(token) if token else None
