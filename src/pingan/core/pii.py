"""Personal identifiers (PIPL-minded): validate, protect at rest, mask for display.

- Chinese citizen ID numbers (GB 11643-1999, ISO 7064 MOD 11-2 check character); 15-digit first-generation
  numbers are upgraded to 18 digits.
- Mainland mobile phone numbers (11 digits starting with 1[3-9]); fixed lines with area code are accepted too,
  and numbers of other countries in E.164 form (``phonenumbers``: a possible length for the country code).
- :class:`Protector` encrypts with Fernet (AES-128-CBC + HMAC-SHA256) under a key ring from configuration
  (``PINGAN_PII_KEY``: comma-separated keys, newest first; old keys still decrypt, so keys rotate without
  downtime) and computes a keyed HMAC-SHA256 "blind index" for exact-match lookups without decrypting
  (key: ``PINGAN_PII_INDEX_KEY``, or derived from the oldest ring key when unset).
- :func:`protect_id_number` / :func:`protect_phone` validate, then return what a table stores:
  ciphertext, blind index and the masked form. Reading the full value back is ``audit.pii_service.reveal``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import struct
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pingan.core.errors import PinganError, ValidationFailed

if TYPE_CHECKING:
    from pingan.core.config import Settings

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def normalise_id_number(value: str, *, field: str = "id_number", today: date | None = None) -> str:
    """Validate a citizen ID number and return its 18-character form (upper-case X)."""
    raw = (value or "").strip().upper().replace(" ", "")
    if _ID15.match(raw):
        raw = raw[:6] + "19" + raw[6:]
        raw += id_check_char(raw)
    if not _ID18.match(raw):
        raise ValidationFailed("ID number must have 18 characters (17 digits and a digit or X)", field=field)
    try:
        born = date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        raise ValidationFailed("ID number holds an impossible birth date", field=field) from None
    if born > (today or date.today()) or born.year < 1900:
        raise ValidationFailed("ID number holds a birth date out of range", field=field)
    if id_check_char(raw[:17]) != raw[17]:
        raise ValidationFailed("ID number check digit is wrong (GB 11643)", field=field)
    return raw


def id_number_facts(id18: str) -> dict[str, str]:
    """Birth date and sex encoded in a valid 18-character ID number."""
    return {
        "birth_date": f"{id18[6:10]}-{id18[10:12]}-{id18[12:14]}",
        "sex": "male" if int(id18[16]) % 2 else "female",
        "region": id18[:6],
    }


def normalise_phone(value: str, *, field: str = "phone") -> str:
    """Validate a mainland mobile (or area-coded fixed-line) number; strips +86, spaces and dashes.

    A number with another country code (``+44 7700 900123``, ``0044…``) is accepted when it has a possible
    length for that country (the ``phonenumbers`` library's metadata) and kept in E.164 form (+447700900123).
    """
    raw = re.sub(r"[\s()\u00a0\u3000]", "", value or "")
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("0086"):
        raw = raw[4:]
    elif raw.startswith(("+", "00")):
        return _international(raw, field)
    compact = raw.replace("-", "")
    if _MOBILE.match(compact):
        return compact
    if _LANDLINE.match(raw):
        return raw
    raise ValidationFailed(
        "phone must be an 11-digit mobile number (1xxxxxxxxxx), 0area-number, or +country-number",
        field=field,
    )


def _international(raw: str, field: str) -> str:
    """A number outside mainland China in E.164 form, or ValidationFailed."""
    digits = raw.replace("-", "").replace(".", "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    try:
        number = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationFailed(
            "phone: an international number needs its country code and a possible length (+44 7700 900123)",
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_id_number(value: str | None) -> str:
    """330108********123X: first 6 and last 4 characters kept."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str:
    """138****5678."""
    if not value:
        return ""
    if len(value) == 11 and value.isdigit():
        return value[:3] + "****" + value[-4:]
    return value[:4] + "*" * max(len(value) - 6, 2) + value[-2:]


def mask_name(value: str | None) -> str:
    """张** / 欧阳*明: the family name (first character) and, for long names, the last character kept."""
    if not value:
        return ""
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


class Protector:
    """Encrypt/decrypt personal data and compute blind indexes under a rotating key ring."""

    def __init__(self, keys: list[bytes], *, index_key: bytes | None = None) -> None:
        if not keys:
            raise ValueError("at least one PII key is needed")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError):
            raise ValueError(
                "PINGAN_PII_KEY must hold url-safe base64 32-byte keys (`pingan keys new` makes one)"
            ) from None
        self.key_count = len(keys)
        self._primary = base64.urlsafe_b64decode(keys[0])  # MultiFernet encrypts with the first key
        self._index_key = hashlib.sha256(b"pingan-blind-index|" + (index_key or keys[-1])).digest()

    @classmethod
    def from_config(
        cls, value: str, *, secret_key: str = "", demo_mode: bool = False, index_key: str = ""
    ) -> Protector:
        """Keys from ``PINGAN_PII_KEY``; in demo mode without one, a key derived from the secret key."""
        keys = [k.strip().encode() for k in value.split(",") if k.strip()]
        if not keys:
            if not demo_mode:
                raise ValueError("PINGAN_PII_KEY is required outside demo mode (`pingan keys new` makes one)")
            seed = hashlib.sha256(b"pingan-demo-pii|" + secret_key.encode()).digest()
            keys = [base64.urlsafe_b64encode(seed)]
        return cls(keys, index_key=index_key.strip().encode() or None)

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode("utf-8"))

    def encrypt_many(self, values: Sequence[str]) -> list[bytes]:
        """Fernet tokens of many values at once, exactly what :meth:`encrypt` would give (bulk loads).

        The Fernet construction (AES-128-CBC with a random IV, PKCS7 padding, HMAC-SHA256 over version,
        time, IV and ciphertext) done for all values of the same length in blocks together: one AES call
        per block position instead of one cipher object per value.
        """
        signing, encryption = self._primary[:16], self._primary[16:]
        header = b"\x80" + struct.pack(">Q", int(time.time()))
        raw = [v.encode("utf-8") for v in values]
        out: list[bytes] = [b""] * len(raw)
        groups: dict[int, list[int]] = {}
        for i, data in enumerate(raw):
            groups.setdefault(len(data) // 16 + 1, []).append(i)
        ecb = Cipher(algorithms.AES(encryption), modes.ECB()).encryptor()
        for blocks, members in groups.items():
            n = len(members)
            padded = bytearray()
            for i in members:
                pad = blocks * 16 - len(raw[i])
                padded += raw[i] + bytes([pad]) * pad
            plain = np.frombuffer(bytes(padded), dtype=np.uint8).reshape(n, blocks, 16)
            ivs = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16)
            cipher = np.empty_like(plain)
            previous = ivs
            for b in range(blocks):
                chained = np.bitwise_xor(plain[:, b, :], previous)
                previous = np.frombuffer(ecb.update(chained.tobytes()), dtype=np.uint8).reshape(n, 16)
                cipher[:, b, :] = previous
            iv_bytes, cipher_bytes, size = ivs.tobytes(), cipher.tobytes(), blocks * 16
            for k, i in enumerate(members):
                body = header + iv_bytes[k * 16 : k * 16 + 16] + cipher_bytes[k * size : (k + 1) * size]
                out[i] = base64.urlsafe_b64encode(body + hmac.digest(signing, body, "sha256"))
        return out

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise ValueError("personal data cannot be decrypted with the configured keys") from None

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt under the newest key."""
        return self._fernet.rotate(token)

    def blind_index(self, value: str) -> str:
        """Keyed hash for exact-match lookups (stable across encryption-key rotation: uses the oldest key)."""
        return hmac.digest(self._index_key, value.encode("utf-8"), "sha256").hex()


class Protected(NamedTuple):
    """What a table stores for one personal identifier."""

    ciphertext: bytes
    blind_index: str
    masked: str


def protect_id_number(protector: Protector, value: str, *, field: str = "id_number") -> Protected:
    """Validate (GB 11643), then encrypt, index and mask a citizen ID number."""
    id18 = normalise_id_number(value, field=field)
    return Protected(protector.encrypt(id18), protector.blind_index("id:" + id18), mask_id_number(id18))


def protect_phone(protector: Protector, value: str, *, field: str = "phone") -> Protected:
    """Validate, then encrypt, index and mask a phone number."""
    phone = normalise_phone(value, field=field)
    return Protected(protector.encrypt(phone), protector.blind_index("phone:" + phone), mask_phone(phone))


def id_number_index(protector: Protector, value: str, *, field: str = "id_number") -> str:
    """The blind index to look an ID number up by (the value is validated first)."""
    return protector.blind_index("id:" + normalise_id_number(value, field=field))


def phone_index(protector: Protector, value: str, *, field: str = "phone") -> str:
    """The blind index to look a phone number up by (the value is validated first)."""
    return protector.blind_index("phone:" + normalise_phone(value, field=field))


def protector_for(settings: Settings) -> Protector:
    """The installation's Protector (cached per key configuration)."""
    return _cached_protector(
        settings.pii_key, settings.pii_index_key, settings.secret_key, settings.demo_mode
    )


_demo_data: ContextVar[bool] = ContextVar("pingan_demo_data", default=False)


@contextmanager
def generating_demo() -> Iterator[None]:
    """While the demo district is generated: :func:`get_protector` acts as with ``demo=True``, so that the
    spine and module services a demo generator calls encrypt with the key its own bulk rows use."""
    token = _demo_data.set(True)
    try:
        yield
    finally:
        _demo_data.reset(token)


def get_protector(settings: Settings | None = None, *, demo: bool = False) -> Protector:
    """The installation's Protector, the one way services, jobs and the CLI get it.

    From ``settings`` (default: the process settings); in demo mode, or when generating ``demo`` data, a key
    derived from the secret key stands in for a missing PINGAN_PII_KEY. Without a key otherwise: PinganError
    ``pii_key_missing`` (503)."""
    if settings is None:
        from pingan.core.config import get_settings

        settings = get_settings()
    try:
        return _cached_protector(
            settings.pii_key,
            settings.pii_index_key,
            settings.secret_key,
            demo or settings.demo_mode or _demo_data.get(),
        )
    except ValueError as exc:
        raise PinganError(str(exc), code="pii_key_missing", status=503) from None


@lru_cache(maxsize=8)
def _cached_protector(pii_key: str, index_key: str, secret_key: str, demo_mode: bool) -> Protector:
    return Protector.from_config(pii_key, secret_key=secret_key, demo_mode=demo_mode, index_key=index_key)


# --- logs ------------------------------------------------------------------------------------------------

# Query parameters whose values are personal data or secrets: never written to a log (access logs included).
REDACTED_PARAMS = (
    "phone",
    "reporter_phone",
    "id_number",
    "name",
    "reporter_name",
    "code",
    "token",
    "tracking_token",
    "api_key",
)
_REDACT = re.compile(
    r"(?P<key>(?:^|[?&;])(?:" + "|".join(REDACTED_PARAMS) + r"))=(?P<value>[^&;#\s\"']*)", re.IGNORECASE
)


def redact_query(text: str) -> str:
    """``/api/v1/cases?reporter_phone=139…&page=2`` → ``/api/v1/cases?reporter_phone=***&page=2``."""
    if "=" not in text:
        return text
    return _REDACT.sub(lambda m: f"{m.group('key')}=***" if m.group("value") else m.group(0), text)


class RedactPersonalData:
    """A logging filter that redacts :data:`REDACTED_PARAMS` values in a record's message and arguments
    (uvicorn's access log passes the request path with its query string as an argument)."""

    def filter(self, record: object) -> bool:
        msg = getattr(record, "msg", None)
        if isinstance(msg, str):
            record.msg = redact_query(msg)  # type: ignore[attr-defined]
        args = getattr(record, "args", None)
        if isinstance(args, tuple):
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in args)  # type: ignore[attr-defined]
        return True
