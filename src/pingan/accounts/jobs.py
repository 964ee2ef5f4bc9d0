"""Accounts' scheduled work: retention of spent API tokens."""

from __future__ import annotations

from pingan.accounts.service import purge_old_tokens
from pingan.audit.jobs import register_retention

register_retention(
    "api_tokens",
    default_days=30,
    purge=purge_old_tokens,
    description="API tokens and browser sessions that expired or were revoked",
)
