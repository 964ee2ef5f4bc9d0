"""Shared input rules and output guards: bounded integers, JSON values, text characters, export cells.

Input (refused with :class:`~pingan.core.errors.ValidationFailed` naming the field, nothing changed):

- integers that reach the database fit a signed 64-bit column (:data:`DbId`, :data:`DbInt`, :data:`Offset`);
- text carries no control character other than tab, line feed and carriage return, no non-character
  U+FFFE/U+FFFF and no lone surrogate (:func:`check_text`): what XML 1.0 (Open311), spreadsheets (xlsx) and
  PostgreSQL (NUL) cannot hold never gets in;
- JSON values (case ``attributes`` …) have bounded size, key count and depth, finite numbers and 64-bit
  integers (:func:`check_json`).

Output (for rows that are already stored, e.g. written before these rules or straight into the database):

- :func:`xml_safe` drops the characters XML 1.0 cannot carry;
- :func:`export_cell` (:func:`export_rows` for a table) makes a text cell of a spreadsheet export (CSV or
  xlsx) inert: characters an xlsx cannot hold are dropped and text a spreadsheet would run as a formula
  (leading ``=``, ``+``, ``-``, ``@``, tab or CR — the OWASP CSV-injection guidance) is prefixed with an
  apostrophe.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from annotated_types import Ge, Le

from pingan.core.errors import ValidationFailed

MAX_DB_INT = 2**63 - 1
MIN_DB_INT = -(2**63)

DbId = Annotated[int, Ge(1), Le(MAX_DB_INT)]
"""A row id: 1 … 2^63 − 1 (larger answers 422 naming the parameter instead of overflowing the database)."""
DbInt = Annotated[int, Ge(MIN_DB_INT), Le(MAX_DB_INT)]
"""Any integer stored or compared in SQL: a signed 64-bit value."""
Offset = Annotated[int, Ge(0), Le(MAX_DB_INT)]
"""How many rows a page skips."""
MAX_PAGE_NUMBER = 10**9
PageNumber = Annotated[int, Ge(1), Le(MAX_PAGE_NUMBER)]
"""A page number (1 …): its offset, even at 500 rows a page, stays far inside 64 bits."""

# C0 controls except tab, LF, CR; the non-characters U+FFFE/U+FFFF; lone surrogates (never valid UTF-8).
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def bad_char(text: str) -> str | None:
    """The first character of ``text`` that text inputs refuse, or None."""
    found = _BAD_TEXT.search(text)
    return found.group() if found else None


def check_text(value: str, *, field: str) -> str:
    """``value`` unchanged when it holds no refused character; else ValidationFailed naming ``field``."""
    char = bad_char(value)
    if char is not None:
        raise ValidationFailed(
            f"{field} contains a control character (U+{ord(char):04X}); only tab and line breaks are allowed",
            field=field,
            code="invalid_character",
        )
    return value


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (for rows stored before the input rule)."""
    return _BAD_TEXT.sub("", text)


def export_cell(value: Any) -> Any:
    """A spreadsheet cell's value made inert: text loses what xlsx cannot hold and never starts a formula."""
    if not isinstance(value, str):
        return value
    text = _BAD_TEXT.sub("", value)
    if text.startswith(_FORMULA_LEAD):
        return "'" + text
    return text


_EXPORT_SUSPECT = re.compile(f"{_BAD_TEXT.pattern}|^[{re.escape(''.join(_FORMULA_LEAD))}]", re.MULTILINE)


def export_rows(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows of cells made inert as :func:`export_cell` makes each (in place, and returned). A column at a
    time: its text cells joined by line breaks are searched once, and only a column where something could
    need it goes through :func:`export_cell` (a roster of 21,863 rows: one call per cell took 0.3 s)."""
    for column, cells in enumerate(zip(*rows, strict=True)):
        # every cell starts a line; other values than text are searched as text too (a negative number
        # sends its column down the slow path, which leaves it unchanged)
        if _EXPORT_SUSPECT.search("\n".join(map(str, cells))):
            for row in rows:
                row[column] = export_cell(row[column])
    return rows


def strip_unicode_space(value: str) -> str:
    """``value`` without leading and trailing whitespace of any kind (NBSP, ideographic space …)."""
    return value.strip()  # str.strip() removes every Unicode White_Space character, NBSP and U+3000 included


# --- JSON values ------------------------------------------------------------------------------------------

MAX_JSON_BYTES = 16 * 1024
MAX_JSON_KEYS = 200
MAX_JSON_DEPTH = 5


def check_json(
    value: Any,
    *,
    field: str,
    max_bytes: int | None = MAX_JSON_BYTES,
    max_keys: int | None = MAX_JSON_KEYS,
    max_depth: int | None = MAX_JSON_DEPTH,
) -> Any:
    """``value`` unchanged when it is a bounded JSON value; else ValidationFailed naming the path at fault.

    Bounds (None: unbounded): ``max_keys`` keys and array items in all, ``max_depth`` levels of nesting,
    about ``max_bytes`` of text. Always: numbers finite, integers within 64 bits, keys and strings under
    :func:`check_text`'s rule.
    """
    items = size = 0
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict | list | tuple):
            if max_depth is not None and depth >= max_depth:
                raise ValidationFailed(f"{path or 'body'} nests deeper than {max_depth} levels", field=path)
            pairs = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in pairs:
                if isinstance(node, dict):
                    name = f"{path}.{key}" if path else str(key)
                else:
                    name = f"{path}[{key}]"  # the form the API's own item errors use: positions[3].t
                if isinstance(node, dict):
                    check_text(str(key), field=name)
                    size += len(str(key)) + 4
                items += 1
                stack.append((child, name, depth + 1))
            if max_keys is not None and items > max_keys:
                raise ValidationFailed(f"{field} holds more than {max_keys} keys and items", field=field)
        else:
            size += _leaf_size(node, path)
        if max_bytes is not None and size > max_bytes:
            raise ValidationFailed(f"{field} is larger than {max_bytes} bytes", field=field, code="too_large")
    return value


def _leaf_size(node: Any, path: str) -> int:
    """About how much text a JSON scalar takes; ValidationFailed for what the rules refuse."""
    if isinstance(node, bool) or node is None:
        return 5
    if isinstance(node, int):
        if not MIN_DB_INT <= node <= MAX_DB_INT:
            raise ValidationFailed(f"{path} is outside the 64-bit integer range", field=path)
        return 20
    if isinstance(node, float):
        if not math.isfinite(node):
            raise ValidationFailed(f"{path} must be a finite number (not NaN or Infinity)", field=path)
        return 24
    if isinstance(node, str):
        check_text(node, field=path)
        return len(node) + 2
    raise ValidationFailed(f"{path} is not a JSON value", field=path)
