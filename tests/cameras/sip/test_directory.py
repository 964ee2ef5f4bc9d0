"""SessionDirectory: the registry's session-taking functions behind SipDirectory, a transaction per call."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from pingan.cameras.sip import SessionDirectory, SipDirectory


class FakeSession:
    def __init__(self, log: list[str]) -> None:
        self.log = log


def test_each_call_is_one_transaction() -> None:
    log: list[str] = []

    @contextmanager
    def transaction() -> Iterator[FakeSession]:
        log.append("begin")
        yield FakeSession(log)
        log.append("commit")

    def sip_password(session: FakeSession, gb_id: str) -> str | None:
        session.log.append(f"password {gb_id}")
        return "pw" if gb_id == "1" else None

    def record_heard(session: FakeSession, gb_ids: Sequence[str], at: datetime) -> None:
        session.log.append(f"heard {','.join(gb_ids)} {at:%H:%M}")

    def apply_catalog(session: FakeSession, parent: str, items: Sequence[Mapping[str, object]]) -> None:
        session.log.append(f"catalog {parent} {len(items)}")

    directory: SipDirectory = SessionDirectory(transaction, sip_password, record_heard, apply_catalog)
    assert directory.password("1") == "pw" and directory.password("2") is None
    directory.heard(["1", "3"], datetime(2026, 12, 3, 8, 30, tzinfo=UTC))
    directory.catalog("1", [{"DeviceID": "4"}])
    assert log == [
        "begin",
        "password 1",
        "commit",
        "begin",
        "password 2",
        "commit",
        "begin",
        "heard 1,3 08:30",
        "commit",
        "begin",
        "catalog 1 1",
        "commit",
    ]
