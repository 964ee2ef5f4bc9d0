"""The one paging helper: its bounds name the field at fault."""

from __future__ import annotations

import pytest

from pingan.core.errors import ValidationFailed
from pingan.core.pagination import MAX_LIMIT, PageQuery, check_window


class TestCheckWindow:
    @pytest.mark.parametrize(
        ("limit", "offset", "field"),
        [(0, 0, "limit"), (MAX_LIMIT + 1, 0, "limit"), (10, -1, "offset"), (10, 2**63, "offset")],
    )
    def test_out_of_bounds_names_the_field(self, limit: int, offset: int, field: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            check_window(limit=limit, offset=offset)
        assert caught.value.field == field

    def test_bounds_themselves_are_allowed(self) -> None:
        check_window(limit=1, offset=0)
        check_window(limit=MAX_LIMIT, offset=2**63 - 1)


class TestPageQuery:
    def test_defaults(self) -> None:
        assert PageQuery().model_dump() == {"limit": 50, "offset": 0}

    def test_bounds(self) -> None:
        with pytest.raises(ValueError):
            PageQuery(limit=MAX_LIMIT + 1)
