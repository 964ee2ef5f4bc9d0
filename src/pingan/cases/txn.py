"""Write transactions for intake endpoints: own session, committed before the answer, SQLite lock retries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
ATTEMPTS = 8
_SQLITE_WRITERS = threading.Lock()


def run_write(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run ``work`` in a fresh transaction and commit it (retrying SQLite "database is locked")."""
    for attempt in range(ATTEMPTS):
        session = factory()
        try:
            result = work(session)
            session.commit()
            return result
        except OperationalError as exc:
            session.rollback()
            if "locked" not in str(exc).lower() or attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.005 * (attempt + 1))
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
    raise RuntimeError("unreachable")


def run_in(session: Session, work: Callable[[Session], T]) -> T:
    """Like :func:`run_write`, in an existing session whose previous work is already committed.

    On SQLite, writers of this process queue on a lock instead of in SQLite's busy handler (which sleeps
    in growing steps and turns contention into long tails); other processes are still handled by it.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    for attempt in range(ATTEMPTS):
        try:
            with _SQLITE_WRITERS if sqlite else nullcontext():
                result = work(session)
                session.commit()
            return result
        except OperationalError as exc:
            session.rollback()
            if "locked" not in str(exc).lower() or attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.005 * (attempt + 1))
        except BaseException:
            session.rollback()
            raise
    raise RuntimeError("unreachable")
