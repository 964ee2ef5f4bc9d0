"""Reading wrk's report (requests/s, p99 latency, errors) for the HTTP benchmarks."""

from __future__ import annotations

import re
from typing import Any

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(out: str) -> dict[str, Any]:
    """Requests/s, p99 in ms, error count (non-2xx/3xx plus socket errors) and request count of a wrk run."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    requests = re.search(r"(\d+) requests in", out)
    assert rps is not None and p99 is not None and requests is not None, out
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(x) for x in sockets.groups()) if sockets else 0
    )
    return {
        "rps": float(rps.group(1)),
        "p99_ms": float(p99.group(1)) * _UNITS_MS[p99.group(2)],
        "errors": errors,
        "requests": int(requests.group(1)),
        "raw": out,
    }
