"""Write transactions for intake endpoints: own session, committed before the answer, SQLite lock retries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
ATTEMPTS = 8


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
