"""Attachment storage: content sniffing, size/type limits, a local folder (default) or an S3-compatible store.

The S3 store is configured with PINGAN_CASES_STORAGE=s3 plus endpoint and bucket, and needs ``boto3``
(not installed by default; without it, choosing s3 fails at start with a clear message).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pingan.cases.config import get_cases_settings
from pingan.core.config import get_settings
from pingan.core.errors import PinganError, TooLarge, ValidationFailed

# magic bytes → MIME type
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
)
ALLOWED = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "video/mp4"}
_EXT = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
}


def sniff(data: bytes) -> str | None:
    """The real content type from the first bytes, or None if not an accepted kind."""
    for magic, offset, mime in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


@dataclass(frozen=True)
class Stored:
    key: str
    content_type: str
    size: int
    sha256: str
    filename: str


class Store(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


class LocalStore:
    """Files under the media folder, written atomically (temp file + fsync + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValidationFailed("bad attachment key", field="key")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    """An S3-compatible bucket (MinIO, Ceph, OSS, COS …) through boto3."""

    def __init__(self, endpoint: str, bucket: str) -> None:
        try:
            import boto3
        except ImportError:
            raise PinganError(
                "PINGAN_CASES_STORAGE=s3 needs the boto3 package (pip install boto3)",
                code="storage_unavailable",
                status=503,
            ) from None
        self.bucket = bucket
        self._client: Any = boto3.client("s3", endpoint_url=endpoint or None)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        body: bytes = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=key)


def get_store() -> Store:
    """The configured attachment store."""
    cs = get_cases_settings()
    if cs.storage == "s3":
        return S3Store(cs.s3_endpoint, cs.s3_bucket)
    return LocalStore(get_settings().resolved_media_dir() / "cases")


_SAFE = re.compile(r"[^A-Za-z0-9._\-\u4e00-\u9fff]+")


def check_upload(filename: str, data: bytes, *, field: str = "media") -> tuple[str, str]:
    """Validate one upload; returns (clean filename, sniffed content type)."""
    limit = get_settings().max_upload_bytes
    if len(data) > limit:
        raise TooLarge(f"{filename or 'file'} is larger than {limit // 1024 // 1024} MB", field=field)
    if not data:
        raise ValidationFailed(f"{filename or 'file'} is empty", field=field)
    mime = sniff(data)
    if mime is None or mime not in ALLOWED:
        raise ValidationFailed(
            f"{filename or 'file'}: only JPEG, PNG, GIF, WebP, PDF or MP4 files are accepted", field=field
        )
    clean = _SAFE.sub("_", Path(filename or "upload").name)[:120] or "upload"
    return clean, mime


def save_upload(case_number: str, filename: str, data: bytes) -> Stored:
    """Store validated bytes under a fresh key."""
    clean, mime = check_upload(filename, data)
    key = f"{case_number[:10]}/{case_number}/{uuid.uuid4().hex}{_EXT[mime]}"
    get_store().put(key, data, mime)
    return Stored(key, mime, len(data), hashlib.sha256(data).hexdigest(), clean)
