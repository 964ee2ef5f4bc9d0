"""The S3-compatible attachment store against a real S3 protocol peer (moto's server on 127.0.0.1).

Each test gets a fresh bucket; the process-wide settings are switched to s3 through the environment and their
caches cleared before and after, so other tests keep the local media folder.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from pingan.cases import storage
from pingan.cases.config import CasesSettings, get_cases_settings
from pingan.core.config import Settings, get_settings
from pingan.core.errors import NotFound, PinganError, TooLarge, ValidationFailed
from tests.cases.conftest import JPEG, PNG
from tests.cases.helpers import report_with_photo
from tests.factories import auth

SECRET = "s3-secret-never-shown"
PREFIX = "pingan/cases"


def _clear_caches() -> None:
    get_cases_settings.cache_clear()
    get_settings.cache_clear()
    storage._s3_store.cache_clear()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto S3 server on a free port of the loopback address only."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(endpoint: str) -> Any:
    """A plain boto3 client of the test server, to look at the bucket from outside."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"pingan-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _s3_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, bucket: str) -> None:
    for name, value in {
        "STORAGE": "s3",
        "S3_ENDPOINT": endpoint,
        "S3_BUCKET": bucket,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": SECRET,
        "S3_PREFIX": PREFIX,
        "S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(f"PINGAN_CASES_{name}", value)


@pytest.fixture
def on_s3(endpoint: str, bucket: str) -> Iterator[str]:
    """The process-wide settings switched to the test bucket; restored afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        _s3_env(mp, endpoint, bucket)
        _clear_caches()
        yield bucket
    _clear_caches()


def _keys(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


class TestSaveUpload:
    def test_round_trip(self, settings: Settings, on_s3: str, s3: Any) -> None:
        stored = storage.save_upload("20250301000123", "现场 photo.jpg", JPEG, settings=settings)
        assert isinstance(storage.get_store(settings), storage.S3Store)
        assert _keys(s3, on_s3) == [f"{PREFIX}/{stored.key}"]
        head = s3.head_object(Bucket=on_s3, Key=f"{PREFIX}/{stored.key}")
        assert head["ContentType"] == "image/jpeg"
        assert head["ContentLength"] == len(JPEG) == stored.size
        assert head["Metadata"] == {"sha256": stored.sha256}
        assert storage.get_store(settings).get(stored.key) == JPEG

        storage.get_store(settings).delete(stored.key)
        assert _keys(s3, on_s3) == []
        with pytest.raises(NotFound):
            storage.get_store(settings).get(stored.key)

    def test_png_content_type(self, settings: Settings, on_s3: str, s3: Any) -> None:
        # the name lies; the bytes decide
        stored = storage.save_upload("20250301000124", "after.jpg", PNG, settings=settings)
        assert stored.content_type == "image/png" and stored.key.endswith(".png")
        assert s3.head_object(Bucket=on_s3, Key=f"{PREFIX}/{stored.key}")["ContentType"] == "image/png"

    def test_too_large_refused(self, settings: Settings, on_s3: str, s3: Any) -> None:
        small = settings.model_copy(update={"max_upload_bytes": len(JPEG) - 1})
        with pytest.raises(TooLarge):
            storage.save_upload("20250301000125", "photo.jpg", JPEG, settings=small)
        assert _keys(s3, on_s3) == []

    def test_wrong_type_refused(self, settings: Settings, on_s3: str, s3: Any) -> None:
        with pytest.raises(ValidationFailed) as err:
            storage.save_upload("20250301000126", "evil.jpg", b"<script>alert(1)</script>", settings=settings)
        assert err.value.field == "media"
        assert _keys(s3, on_s3) == []

    def test_corrupt_object_detected(self, settings: Settings, on_s3: str, s3: Any) -> None:
        stored = storage.save_upload("20250301000127", "photo.jpg", JPEG, settings=settings)
        s3.put_object(
            Bucket=on_s3, Key=f"{PREFIX}/{stored.key}", Body=PNG, Metadata={"sha256": stored.sha256}
        )
        with pytest.raises(PinganError) as err:
            storage.get_store(settings).get(stored.key)
        assert err.value.code == "storage_corrupt"


class TestCheckStore:
    def test_existing_bucket_passes(self, on_s3: str) -> None:
        storage.check_store()

    def test_missing_bucket(self, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
        _s3_env(monkeypatch, endpoint, "no-such-bucket")
        _clear_caches()
        try:
            with pytest.raises(PinganError) as err:
                storage.check_store()
        finally:
            _clear_caches()
        assert err.value.code == "storage_unavailable" and err.value.status == 503
        assert "s3://no-such-bucket/" in err.value.message and "no such bucket" in err.value.message
        assert endpoint in err.value.message and SECRET not in err.value.message

    def test_unreachable_endpoint(self, endpoint: str, bucket: str) -> None:
        closed = storage.S3Store(endpoint="http://127.0.0.1:9", bucket=bucket, addressing_style="path")
        with pytest.raises(PinganError) as err:
            closed.check()
        assert err.value.code == "storage_unavailable" and "127.0.0.1:9" in err.value.message

    def test_bucket_required(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PINGAN_CASES_STORAGE", "s3")
        monkeypatch.delenv("PINGAN_CASES_S3_BUCKET", raising=False)
        with pytest.raises(ValidationError, match="PINGAN_CASES_S3_BUCKET"):
            CasesSettings()

    def test_secret_not_shown(self, settings: Settings, on_s3: str) -> None:
        cs = get_cases_settings()
        assert SECRET not in repr(cs) and SECRET not in str(cs.model_dump())
        assert SECRET not in repr(storage.get_store(settings))


class TestApiOnS3:
    def test_report_with_photo_round_trip(
        self, on_s3: str, s3: Any, client: TestClient, session: Session
    ) -> None:
        r = report_with_photo(client, session, JPEG)
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        street = auth(session, "street")
        attachments = client.get(f"/api/v1/cases/{case_id}", headers=street).json()["attachments"]
        assert [(a["kind"], a["content_type"], a["size"]) for a in attachments] == [
            ("report", "image/jpeg", len(JPEG))
        ]
        (key,) = _keys(s3, on_s3)
        assert key.startswith(f"{PREFIX}/") and key.endswith(".jpg")

        r = client.get(attachments[0]["url"], headers=street)
        assert r.status_code == 200
        assert r.content == JPEG
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["x-content-type-options"] == "nosniff"

    def test_start_fails_on_missing_bucket(
        self, app: Any, endpoint: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _s3_env(monkeypatch, endpoint, "gone-bucket")
        _clear_caches()
        try:
            with pytest.raises(PinganError, match="s3://gone-bucket/.*no such bucket"):
                with TestClient(app):
                    pass
        finally:
            _clear_caches()
