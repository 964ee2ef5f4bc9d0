"""The patrols module's wall tile: patrollers on duty now, by liveness, and their points on the map."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from pingan.core.security import Actor
from pingan.patrols import dispatch


def on_duty_tile(session: Session, actor: Actor, scope: str, translate: Callable[..., str]) -> dict[str, Any]:
    """Patrollers on duty in ``scope``: every one is in exactly one liveness bucket, so the buckets add up."""
    duty = dispatch.on_duty_now(session, actor, within=scope or None)
    counts = duty["counts"]
    return {
        "value": str(duty["on_duty"]),
        "sub": translate(
            "wall.sub.patrols",
            online=counts["online"],
            unknown=counts["unknown"],
            offline=counts["offline"],
            sos=counts["sos"],
        ),
        # positions and liveness only: no names on the wall
        "points": [{"lon": p["lon"], "lat": p["lat"], "status": p["status"]} for p in duty["patrollers"]],
    }
