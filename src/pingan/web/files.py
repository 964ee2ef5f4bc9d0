"""Register files over HTTP: reading an uploaded xlsx/csv (multipart field ``file`` or the raw body) and
sending one back (an export, a template). One way for every register that imports and exports rows (grids'
residents and places, the patrol roster, cameras)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response

from pingan.core.errors import TooLarge, ValidationFailed

__all__ = ["CSV", "FILE_BODY", "MAX_FILE_BYTES", "XLSX", "Upload", "file_download", "read_upload"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
MAX_FILE_BYTES = 20 * 1024 * 1024

FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            XLSX: {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}
"""``openapi_extra`` of an import route: the file as multipart field ``file``, or the raw xlsx/csv body."""


@dataclass
class Upload:
    """An uploaded file: its bytes, its name (empty for a raw body) and the form's other text fields."""

    data: bytes
    filename: str = ""
    form: dict[str, str] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        """A checkbox-like form field (``1``, ``true``, ``on``)."""
        return self.form.get(name, "").lower() in ("1", "true", "on")


async def read_upload(
    request: Request, *, max_bytes: int = MAX_FILE_BYTES, allow_empty: bool = False
) -> Upload:
    """The file of an import request, refused naming ``file`` when missing, too large or (unless
    ``allow_empty``) empty; never more than ``max_bytes`` + 1 read from a form."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationFailed("send the file in the form field `file`", field="file")
        found = Upload(
            await upload.read(max_bytes + 1),
            upload.filename or "",
            {key: value for key, value in form.items() if isinstance(value, str)},
        )
    else:
        found = Upload(await request.body())
    if len(found.data) > max_bytes:
        raise TooLarge(f"the file is larger than {max_bytes // (1024 * 1024)} MB", field="file")
    if not found.data and not allow_empty:
        raise ValidationFailed("the file is empty", field="file")
    return found


def file_download(data: bytes, stem: str, file_format: str) -> Response:
    """``stem.csv`` or ``stem.xlsx`` as an attachment."""
    csv = file_format == "csv"
    return Response(
        data,
        media_type=CSV if csv else XLSX,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{"csv" if csv else "xlsx"}"'},
    )
