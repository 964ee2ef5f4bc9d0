"""The app served by bench/test_intake.py: the real application plus one bare JSON endpoint.

Both endpoints go through the same server, middleware stack and process, so their ratio isolates the cost of
case intake (authentication, validation, locating, routing, dedupe lookup, two inserts and the commit).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from pingan.web.app import create_app


def create_bench_app() -> FastAPI:
    app = create_app()

    @app.post("/bench/bare", include_in_schema=False)
    async def bare(request: Request) -> dict[str, Any]:
        body = await request.json()
        return {"ok": True, "echo": len(body)}

    return app
