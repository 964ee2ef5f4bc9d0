"""The shared input rules and output guards of core.validation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pingan.core.errors import ValidationFailed
from pingan.core.validation import bad_char, check_json, check_text, export_cell, export_rows, xml_safe


class TestText:
    @pytest.mark.parametrize(
        "char", ["\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x1f", "\ufffe", "\uffff"]
    )
    def test_refused(self, char: str) -> None:
        with pytest.raises(ValidationFailed) as err:
            check_text(f"a{char}b", field="note")
        assert err.value.field == "note" and err.value.code == "invalid_character"

    @pytest.mark.parametrize(
        "text", ["tab\there", "lines\r\nand\nmore", "中文 NBSP\u00a0", "emoji 😀", "DEL\x7f"]
    )
    def test_allowed(self, text: str) -> None:
        assert check_text(text, field="note") == text and bad_char(text) is None

    def test_xml_safe_drops_what_xml_cannot_carry(self) -> None:
        assert xml_safe("路灯\x07不\x0b亮\x1b\x00\ufffe") == "路灯不亮"


class TestExportCell:
    @pytest.mark.parametrize(
        ("value", "cell"),
        [
            ('=HYPERLINK("http://evil.example/","x")', '\'=HYPERLINK("http://evil.example/","x")'),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("3\u0001室", "3室"),
            ("平安路1号", "平安路1号"),
            (42, 42),
            (-1.5, -1.5),
            (None, None),
        ],
    )
    def test_cells(self, value: object, cell: object) -> None:
        assert export_cell(value) == cell


class TestJson:
    def test_bounded_value_kept(self) -> None:
        value = {"floor": 3, "tags": ["a", "b"], "meta": {"ok": True, "depth": 1.5}}
        assert check_json(value, field="attributes") is value

    @pytest.mark.parametrize(
        ("value", "field"),
        [
            ({"n": 2**64}, "attributes.n"),
            ({"n": -(2**63) - 1}, "attributes.n"),
            ({"x": float("nan")}, "attributes.x"),
            ({"x": [1, float("inf")]}, "attributes.x[1]"),
            ({"s": "a\x00b"}, "attributes.s"),
            ({"k\x01": 1}, "attributes.k\x01"),
        ],
    )
    def test_refused_naming_the_path(self, value: object, field: str) -> None:
        with pytest.raises(ValidationFailed) as err:
            check_json(value, field="attributes")
        assert err.value.field == field

    def test_key_count_size_and_depth_bounded(self) -> None:
        with pytest.raises(ValidationFailed):
            check_json({f"k{i}": i for i in range(201)}, field="attributes")
        with pytest.raises(ValidationFailed):
            check_json({"t": "x" * 20_000}, field="attributes")
        with pytest.raises(ValidationFailed):
            check_json({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}, field="attributes")

    def test_unbounded_mode_walks_deep_values_without_recursion(self) -> None:
        value: object = 1
        for _ in range(5000):
            value = [value]
        assert check_json(value, field="", max_bytes=None, max_keys=None, max_depth=None) is value


_CELLS = st.one_of(
    st.none(),
    st.integers(),
    st.text(alphabet=st.sampled_from(list("ab 1=+-@\t\r\n\x07\x1b\ufffe中")), max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CELLS, min_size=4, max_size=4), max_size=12))
def test_export_rows_is_export_cell_on_every_cell(rows: list[list[object]]) -> None:
    """The column-at-a-time check never leaves a cell that export_cell would change."""
    expected = [[export_cell(v) for v in row] for row in rows]
    assert export_rows([list(row) for row in rows]) == expected
