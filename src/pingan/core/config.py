"""Settings: one pydantic-settings class, read from the environment (prefix ``PINGAN_``).

How settings reach code (docs/architecture.md, "Settings"): ``create_app(settings)`` keeps them in
``app.state.settings``; routes take them through the ``AppSettings`` request dependency; services and jobs
read them from the session they are given (:func:`settings_of`), which the app's session factory and its
request sessions carry; CLI commands build their own (``settings_for``). :func:`get_settings` — the
process-wide settings read from the environment — is the fallback of code running outside any app.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    """Everything configurable about one Pingan installation."""

    model_config = SettingsConfigDict(env_prefix="PINGAN_", env_file=".env", extra="ignore")

    data_dir: Path = Field(DEFAULT_DATA_DIR, description="folder for the SQLite file, media and exports")
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite file in data_dir")
    secret_key: str = Field("", description="signs sessions and tokens; required outside demo mode")
    pii_key: str = Field(
        "", description="base64 key(s) for personal data encryption, newest first, comma-separated"
    )
    pii_index_key: str = Field(
        "", description="key for blind indexes of personal data; default: derived from the oldest pii_key"
    )
    demo_mode: bool = False
    district_name: str = "滨江区"
    timezone: str = "Asia/Shanghai"
    tile_url: str = Field("", description="optional raster tile URL template for maps")
    tile_crs: str = Field("wgs84", description="coordinate system of tile_url: wgs84 or gcj02")
    media_dir: Path | None = None
    max_upload_bytes: int = 10 * 1024 * 1024
    locator_refresh_seconds: float = 5.0
    gc_freeze: bool = Field(
        True,
        description="move objects alive after start-up out of the garbage collector's sight (shorter pauses)",
    )
    retention_days: dict[str, int] = Field(
        default_factory=dict,
        description='days to keep each kind of record, JSON, e.g. {"audit": 1825}; unset kinds use defaults',
    )
    forwarded_allow_ips: str = Field(
        "",
        description="reverse proxies (comma-separated IPs or networks, e.g. 127.0.0.1) whose "
        "X-Forwarded-Proto/-For are trusted; empty = none (the connection's own scheme and address count)",
    )
    rate_limits: dict[str, int] = Field(
        default_factory=lambda: {"public": 30, "login": 10, "osmand_client": 3000, "osmand_device": 120},
        description="requests per minute per client IP for each route group of public endpoints "
        "(osmand_device: per device id)",
    )
    modules: str = Field(
        "",
        description="the capability modules to run, comma-separated (e.g. grids,patrols); empty = every "
        "installed one. The spine (areas, units, accounts, audit, cases) always runs; see docs/modules.md",
    )
    jobs: str = Field(
        "",
        description="the background jobs each server process runs (Module.jobs, e.g. devices.sweep): 'all', "
        "job names comma-separated, or empty = none (then run them from cron: `pingan devices sweep`, "
        "`pingan cases sla-tick`); a lease keeps each to one process at a time",
    )
    patrols_keyless_devices: bool = Field(
        False, description="accept OsmAnd fixes from devices that have no key (otherwise refused)"
    )

    def resolved_database_url(self) -> str:
        """The database URL to use: the configured one, or a SQLite file in the data folder."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'pingan.db').as_posix()}"

    def resolved_media_dir(self) -> Path:
        """Where uploaded photos and attachments are kept."""
        return self.media_dir or (self.data_dir / "media")


def normalise_database_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


_installed: Settings | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (built on first use, never at import)."""
    return _installed or Settings()


SESSION_KEY = "pingan.settings"


class _HasInfo(Protocol):
    """A database session (anything with SQLAlchemy's ``Session.info`` dict)."""

    @property
    def info(self) -> dict[Any, Any]: ...


def settings_of(session: _HasInfo) -> Settings:
    """The settings of the application or job this database session works for (put there by
    :func:`carry_settings`); the process settings for a session of no application (a script, a test)."""
    found = session.info.get(SESSION_KEY)
    return found if isinstance(found, Settings) else get_settings()


def carry_settings(session: _HasInfo, settings: Settings) -> None:
    """Let the services this session is handed read ``settings`` (:func:`settings_of`)."""
    session.info[SESSION_KEY] = settings


def use_settings(settings: Settings) -> None:
    """Make ``settings`` this process's settings (a worker process takes its server's)."""
    global _installed
    _installed = settings
    get_settings.cache_clear()
