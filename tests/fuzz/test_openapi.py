"""Schemathesis over every operation of the OpenAPI document, as admin, as a street operator, anonymously;
then a stateful run that follows the document's links from creating a record to reading and changing it.

Checks: no server error, documented status codes, documented content types, responses matching their declared
models. Deterministic (a fixed seed, derandomized) with a bounded number of examples per operation, so CI is
stable and quick. Rerun by hand (see docs/security.md):
``PYTHONPATH=src python -m pytest tests/fuzz -n 2 -s`` (``-s`` prints what each profile sent). One module's
routes only: ``PINGAN_FUZZ_ONLY='^/api/v1/(cases|case-|public/cases)'`` (a regular expression on the path).
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from tests.fuzz.runner import BULK_EXPORTS, run

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = 5
PHASES = ["examples", "coverage", "fuzzing"]
ONLY = os.environ.get("PINGAN_FUZZ_ONLY") or None


def _headers(profile: str, tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[profile]}"} if profile in tokens else {}


@pytest.mark.parametrize("profile", ["admin", "street", "anonymous"])
def test_openapi(profile: str, fuzz_app: Any, fuzz_tokens: dict[str, str]) -> None:
    started = time.monotonic()
    skip = BULK_EXPORTS if profile == "admin" else ()
    outcome = run(
        fuzz_app,
        headers=_headers(profile, fuzz_tokens),
        phases=PHASES,
        max_examples=MAX_EXAMPLES,
        skip=skip,
        only=ONLY,
    )
    print(
        f"{profile}: {outcome.scenarios} scenarios, {outcome.requests} requests in "
        f"{time.monotonic() - started:.0f} s, {len(outcome.failures)} unique failures"
    )
    assert outcome.requests > (100 if ONLY else 1000)  # every operation was reached, not skipped
    assert not outcome.failures and not outcome.errors, outcome.report()


def test_stateful_admin(fuzz_app: Any, fuzz_tokens: dict[str, str]) -> None:
    started = time.monotonic()
    outcome = run(
        fuzz_app,
        headers=_headers("admin", fuzz_tokens),
        phases=["stateful"],
        max_examples=10,
        skip=BULK_EXPORTS,
        only=ONLY,
    )
    print(
        f"stateful: {outcome.scenarios} scenarios, {outcome.requests} requests in "
        f"{time.monotonic() - started:.0f} s, {len(outcome.failures)} unique failures"
    )
    assert outcome.requests > 0
    assert not outcome.failures and not outcome.errors, outcome.report()
