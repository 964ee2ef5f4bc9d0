"""Run schemathesis's engine in process against an ASGI app and collect its failures, one line each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

# Endless event streams (SSE) are not fuzzed: such a request never ends by design.
STREAMS = ("/api/v1/live", "/api/v1/patrols/events")
# Signed-in profiles leave alone what would end their own credential mid-run (anonymous fuzzes it).
SELF_REVOKING = ("/api/v1/auth/logout", "/api/v1/accounts/me/tokens/{token_id}")
# Whole-register exports take seconds to minutes for the district's scope (270,000 residents, 21,863
# volunteers) and the fuzzer calls each dozens of times: the district profile leaves them to the street
# profile (the same code over one street) and to tests/grids/test_io.py and tests/patrols (the district).
BULK_EXPORTS = ("/api/v1/grids/export", "/api/v1/patrols/volunteers/export")


@dataclass
class Outcome:
    """What one run found: unique failures (operation, check, title) and a sample message for each."""

    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)
    scenarios: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [
            f"{op} | {check} | {title}\n    {msg[:600]}" for (op, check, title), msg in self.failures.items()
        ]
        return "\n".join(lines + [f"ERROR {e}" for e in self.errors])


def run(
    app: Any,
    *,
    headers: dict[str, str],
    phases: list[str],
    max_examples: int,
    max_steps: int = 10,
    seed: int = 2016,
    skip: tuple[str, ...] = (),
    only: str | None = None,
) -> Outcome:
    """Fuzz every operation of ``app``'s OpenAPI document (deterministically) and return what failed;
    ``only``: a regular expression the fuzzed paths match (``PINGAN_FUZZ_ONLY``, for one module's run)."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": seed,
            "headers": headers,
            "workers": 1,
            "generation": {
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {
                **{name: {"enabled": name in phases} for name in ("examples", "coverage", "fuzzing")},
                "stateful": {"enabled": "stateful" in phases, "max-steps": max_steps},
            },
            "checks": {
                "enabled": False,
                "not_a_server_error": {"enabled": True},
                "status_code_conformance": {"enabled": True},
                "content_type_conformance": {"enabled": True},
                "response_schema_conformance": {"enabled": True},
            },
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    schema = schema.exclude(path=list(STREAMS))
    if headers:
        schema = schema.exclude(path=list(SELF_REVOKING))
    if skip:
        schema = schema.exclude(path=list(skip))
    if only:
        schema = schema.include(path_regex=only)
    outcome = Outcome()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            outcome.scenarios += 1
            outcome.requests += len(event.recorder.interactions)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (failure.operation or event.recorder.label, check.name, failure.title)
                    outcome.failures.setdefault(
                        key, f"{failure.message}\n    {check.failure_info.code_sample}"
                    )
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            info = getattr(event, "info", None)
            label = getattr(event, "label", "")
            text = (
                f"{label}: {info.title}: {info}"
                if info is not None
                else repr(getattr(event, "exception", event))
            )
            outcome.errors.append(text[:1500])
    return outcome
