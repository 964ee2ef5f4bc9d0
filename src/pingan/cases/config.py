"""Settings of the cases module (prefix ``PINGAN_CASES_``) and the personal-data protector."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pingan.core.config import get_settings
from pingan.core.errors import PinganError
from pingan.core.pii import Protector, protector_for


class CasesSettings(BaseSettings):
    """Tunables of intake, dedupe, SLA job and attachment storage."""

    model_config = SettingsConfigDict(env_prefix="PINGAN_CASES_", env_file=".env", extra="ignore")

    sla_tick_seconds: float = Field(0.0, description="run cases.jobs.refresh_sla in-app every N s; 0 = off")
    sla_warning_share: float = Field(0.8, description="yellow once this share of a stage's time is used")
    escalate_overdue_share: float = Field(0.5, description="auto-supervise when overdue by this share")
    auto_link: bool = Field(True, description="link a new report to a nearby open case of its category")
    recent_closed_days: int = 7
    storage: str = Field("local", description="local or s3")
    s3_endpoint: str = ""
    s3_bucket: str = ""
    max_attachments: int = 6
    listen_postgres: bool = Field(True, description="bridge the live feed over PostgreSQL LISTEN/NOTIFY")


@lru_cache(maxsize=1)
def get_cases_settings() -> CasesSettings:
    """The process-wide cases settings."""
    return CasesSettings()


def get_protector() -> Protector:
    """The Protector for reporter contact data (PINGAN_PII_KEY; derived key in demo mode)."""
    try:
        return protector_for(get_settings())
    except ValueError as exc:
        raise PinganError(str(exc), code="pii_key_missing", status=503) from None
