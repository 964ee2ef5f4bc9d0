"""Attachment storage: content sniffing, size/type limits, a local folder (default) or an S3-compatible store.

The S3 store is chosen with PINGAN_CASES_STORAGE=s3 and the PINGAN_CASES_S3_* settings (endpoint, bucket,
region, keys, prefix, addressing style); ``check_store`` runs at start and fails clearly when the bucket is
missing or unreachable. See docs/deployment.md.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from pydantic import SecretStr

from pingan.cases.config import get_cases_settings
from pingan.core.config import Settings
from pingan.core.errors import NotFound, PinganError, TooLarge, ValidationFailed

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
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:  # as the S3 store answers a missing object
            raise NotFound("attachment file is missing from the store", field="attachment_id") from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    """An S3-compatible bucket (MinIO, Ceph, OSS, COS …) through boto3.

    Objects carry their content type and a ``sha256`` metadata entry, which reads check.
    """

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        region: str = "us-east-1",
        access_key_id: str = "",
        secret_access_key: str = "",
        prefix: str = "",
        addressing_style: str = "auto",
    ) -> None:
        import boto3
        from botocore.config import Config

        self.endpoint = endpoint
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        config = Config(
            region_name=region or None,
            s3={"addressing_style": addressing_style},
            connect_timeout=5,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 3},
            # many S3-compatible servers reject the CRC checksums boto3 sends by default
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=config,
        )

    def __repr__(self) -> str:
        return f"S3Store(endpoint={self.endpoint!r}, bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValidationFailed("bad attachment key", field="key")
        return self.prefix + key

    def _unavailable(self, exc: Exception) -> PinganError:
        where = f"s3://{self.bucket}/{self.prefix}" + (f" at {self.endpoint}" if self.endpoint else "")
        return PinganError(
            f"attachment store {where} is unavailable: {_describe(exc)}",
            code="storage_unavailable",
            status=503,
        )

    def check(self) -> None:
        """Raise a clear PinganError unless the bucket exists and these credentials may use it."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable(exc) from None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentType=content_type,
                ContentMD5=base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
                Metadata={"sha256": hashlib.sha256(data).hexdigest()},
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable(exc) from None

    def get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            reply = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
            body: bytes = reply["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound("attachment file is missing from the store", field="attachment_id") from None
            raise self._unavailable(exc) from None
        except BotoCoreError as exc:
            raise self._unavailable(exc) from None
        expected = reply.get("Metadata", {}).get("sha256")
        if expected and expected != hashlib.sha256(body).hexdigest():
            raise PinganError(
                "attachment file is corrupt (sha256 mismatch)", code="storage_corrupt", status=502
            )
        return body

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable(exc) from None


def _describe(exc: Exception) -> str:
    """A short reason from a botocore error (never includes credentials)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        code = str(error.get("Code", ""))
        reason = {"404": "no such bucket", "NoSuchBucket": "no such bucket", "403": "access denied"}.get(code)
        return reason or f"{code} {error.get('Message', '')}".strip()
    return str(exc)


@lru_cache(maxsize=4)
def _s3_store(
    endpoint: str,
    bucket: str,
    region: str,
    access_key_id: str,
    secret: SecretStr,
    prefix: str,
    addressing_style: str,
) -> S3Store:
    return S3Store(
        endpoint=endpoint,
        bucket=bucket,
        region=region,
        access_key_id=access_key_id,
        secret_access_key=secret.get_secret_value(),
        prefix=prefix,
        addressing_style=addressing_style,
    )


def _configured_s3() -> S3Store | None:
    """The S3 store the cases settings name, or None for the local folder."""
    cs = get_cases_settings()
    if cs.storage != "s3":
        return None
    return _s3_store(
        cs.s3_endpoint,
        cs.s3_bucket,
        cs.s3_region,
        cs.s3_access_key_id,
        cs.s3_secret_access_key,
        cs.s3_prefix,
        cs.s3_addressing_style,
    )


def get_store(settings: Settings) -> Store:
    """The configured attachment store: S3 (one boto3 client per S3 configuration, reused), or the
    ``cases`` folder of the installation's media folder."""
    return _configured_s3() or LocalStore(settings.resolved_media_dir() / "cases")


def check_store() -> None:
    """Fail with a clear message when the configured store cannot be used (called at start)."""
    store = _configured_s3()
    if store is not None:
        store.check()


_SAFE = re.compile(r"[^A-Za-z0-9._\-\u4e00-\u9fff]+")


def check_upload(filename: str, data: bytes, *, limit: int, field: str = "media") -> tuple[str, str]:
    """Validate one upload (at most ``limit`` bytes); returns (clean filename, sniffed content type)."""
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


def save_upload(case_number: str, filename: str, data: bytes, *, settings: Settings) -> Stored:
    """Store validated bytes under a fresh key (size limit and store of ``settings``)."""
    clean, mime = check_upload(filename, data, limit=settings.max_upload_bytes)
    key = f"{case_number[:10]}/{case_number}/{uuid.uuid4().hex}{_EXT[mime]}"
    get_store(settings).put(key, data, mime)
    return Stored(key, mime, len(data), hashlib.sha256(data).hexdigest(), clean)
