"""Settings of the cases module (prefix ``PINGAN_CASES_``) and the personal-data protector."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CasesSettings(BaseSettings):
    """Tunables of intake, dedupe, SLA job and work calendar, and attachment storage."""

    model_config = SettingsConfigDict(env_prefix="PINGAN_CASES_", env_file=".env", extra="ignore")

    sla_tick_seconds: float = Field(0.0, description="run cases.jobs.refresh_sla in-app every N s; 0 = off")
    sla_warning_share: float = Field(0.8, description="yellow once this share of a stage's time is used")
    escalate_overdue_share: float = Field(0.5, description="auto-supervise when overdue by this share")
    auto_link: bool = Field(True, description="link a new report to a nearby open case of its category")
    recent_closed_days: int = 7
    storage: Literal["local", "s3"] = Field("local", description="local (the media folder) or s3")
    s3_endpoint: str = Field("", description="endpoint URL, e.g. http://minio.internal:9000; empty = AWS")
    s3_bucket: str = Field("", description="bucket of the attachments; required with storage=s3")
    s3_region: str = "us-east-1"
    s3_access_key_id: str = Field("", description="empty = boto3's usual chain (AWS_* env, instance role)")
    s3_secret_access_key: SecretStr = SecretStr("")
    s3_prefix: str = Field("", description="key prefix inside the bucket, e.g. pingan/cases")
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        "auto", description="path for MinIO and Ceph, virtual for OSS/COS"
    )
    max_attachments: int = 6
    intake_batches_in_flight: int = Field(
        1, description="intake batches written at once (PostgreSQL on slow disks may gain from 2–3)"
    )
    intake_linger_ms: float = Field(
        0.0,
        description="under load, how long a new intake batch may wait for the requests arriving together",
    )
    intake_process: bool = Field(
        True,
        description="draft and write intake batches in a child process of each server process (another core)",
    )
    listen_postgres: bool = Field(True, description="bridge the live feed over PostgreSQL LISTEN/NOTIFY")
    work_periods: str = Field(
        "08:30-12:00,13:30-17:30", description="working periods of a working day (Asia/Shanghai), HH:MM-HH:MM"
    )
    calendar_ttl_seconds: float = Field(
        30.0, description="re-read the admin's calendar days after N s (changes in other processes)"
    )

    @model_validator(mode="after")
    def _s3_needs_bucket(self) -> Self:
        if self.storage == "s3" and not self.s3_bucket.strip():
            raise ValueError("PINGAN_CASES_STORAGE=s3 needs PINGAN_CASES_S3_BUCKET (the attachments' bucket)")
        return self


@lru_cache(maxsize=1)
def get_cases_settings() -> CasesSettings:
    """The process-wide cases settings."""
    return CasesSettings()
