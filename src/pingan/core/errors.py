"""Domain errors: services raise these; the web layer renders them as JSON with a code."""

from __future__ import annotations

from typing import Any


class PinganError(Exception):
    """Base error with a machine-readable code, an HTTP status and optionally the field at fault."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        status: int | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of this error."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class ValidationFailed(PinganError):
    status = 422
    code = "invalid"


class NotFound(PinganError):
    status = 404
    code = "not_found"


class Conflict(PinganError):
    status = 409
    code = "conflict"


class Forbidden(PinganError):
    status = 403
    code = "forbidden"


class Unauthorized(PinganError):
    status = 401
    code = "unauthorized"


class TooLarge(PinganError):
    status = 413
    code = "too_large"


class RateLimited(PinganError):
    status = 429
    code = "rate_limited"
