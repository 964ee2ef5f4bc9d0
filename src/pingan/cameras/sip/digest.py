"""HTTP digest authentication of REGISTER (RFC 2617 as RFC 3261 §22 uses it, MD5, optional qop=auth).

Nonces are stateless: the issue time and an HMAC of it under a per-process secret, so any nonce we did not
issue, or issued more than ``ttl`` seconds ago, is refused without keeping a table of them. A nonce can be
replayed within its lifetime (the nonce count is not tracked); a replayed REGISTER only renews a binding
the device already proved it could make.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from dataclasses import dataclass

_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)')


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def parse_authorization(value: str) -> dict[str, str] | None:
    """The parameters of a ``Digest …`` credentials header (names lower-case), or None when it is not one."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest" or not rest:
        return None
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if not match or match.end() == pos:
            return None
        quoted, bare = match.group(2), match.group(3)
        params[match.group(1).lower()] = quoted.replace("\\", "") if quoted is not None else bare
        pos = match.end()
    return params


def expected_response(params: dict[str, str], *, method: str, password: str, realm: str) -> str:
    """The ``response`` value a device knowing ``password`` sends with these parameters."""
    ha1 = md5_hex(f"{params.get('username', '')}:{realm}:{password}")
    ha2 = md5_hex(f"{method}:{params.get('uri', '')}")
    nonce = params.get("nonce", "")
    if params.get("qop"):
        return md5_hex(f"{ha1}:{nonce}:{params.get('nc', '')}:{params.get('cnonce', '')}:auth:{ha2}")
    return md5_hex(f"{ha1}:{nonce}:{ha2}")


@dataclass
class Nonces:
    """Issues and checks stateless nonces valid for ``ttl`` seconds."""

    ttl: float = 300.0
    secret: bytes = b""

    def __post_init__(self) -> None:
        if not self.secret:
            self.secret = os.urandom(16)

    def _mac(self, stamp: str) -> str:
        return hmac.new(self.secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]

    def issue(self, now: float | None = None) -> str:
        """A fresh nonce."""
        stamp = f"{int((time.time() if now is None else now) * 1000):x}"
        return f"{stamp}{self._mac(stamp)}"

    def check(self, nonce: str, now: float | None = None) -> str:
        """'ok', 'stale' (ours, expired) or 'bad' (not ours)."""
        stamp, mac = nonce[:-24], nonce[-24:]
        if not stamp or not hmac.compare_digest(mac, self._mac(stamp)):
            return "bad"
        try:
            issued = int(stamp, 16) / 1000
        except ValueError:
            return "bad"
        age = (time.time() if now is None else now) - issued
        return "ok" if -5 <= age <= self.ttl else "stale"


def challenge(realm: str, nonce: str, *, qop: bool, stale: bool = False) -> str:
    """The ``WWW-Authenticate`` value of a 401."""
    value = f'Digest realm="{realm}", nonce="{nonce}", algorithm=MD5'
    if qop:
        value += ', qop="auth"'
    if stale:
        value += ", stale=TRUE"
    return value


def verify(params: dict[str, str], *, method: str, password: str, realm: str) -> bool:
    """Whether the credentials' response matches ``password`` (constant-time comparison)."""
    if params.get("qop") not in (None, "auth") or params.get("algorithm", "MD5").upper() != "MD5":
        return False
    wanted = expected_response(params, method=method, password=password, realm=realm)
    return hmac.compare_digest(wanted, params.get("response", "").lower())
