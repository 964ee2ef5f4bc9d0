"""Cases tests: a fixed PII key and a temporary media folder for the process-wide settings."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("PINGAN_PII_KEY", "bW9jay1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXM=")
os.environ.setdefault("PINGAN_MEDIA_DIR", tempfile.mkdtemp(prefix="pingan-media-"))

from pingan.core.config import get_settings  # noqa: E402

get_settings.cache_clear()

# a 1×1 JPEG and PNG for uploads
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d"
    "1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4"
    "001f0000010501010101010100000000000000000102030405060708090a0bffda0008010100003f00d2cf20ffd9"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a2"
    "4f5d0000000049454e44ae426082"
)
# a point inside 月明社区's first grid (the demo gridworker's grid) is looked up in the tests


@pytest.fixture(scope="session")
def demo_db_template(demo_sqlite_template: Path) -> Path:
    """A demo SQLite database file built once per test run (copied by tests that serve it)."""
    return demo_sqlite_template
