"""GB 3838-2002 single-factor classes: every limit's boundary is inclusive, DO a minimum, pH a range."""

from __future__ import annotations

import pytest

from pingan.rivers import gb3838
from pingan.rivers.gb3838 import WaterClass as C

CASES = [
    # parameter, value, class
    ("DO", 7.5, C.I),
    ("DO", 7.49, C.II),
    ("DO", 6.0, C.II),
    ("DO", 5.0, C.III),
    ("DO", 4.99, C.IV),
    ("DO", 3.0, C.IV),
    ("DO", 2.0, C.V),
    ("DO", 1.99, C.INFERIOR_V),
    ("DO", 12.0, C.I),
    ("CODMn", 0.0, C.I),
    ("CODMn", 2.0, C.I),
    ("CODMn", 2.01, C.II),
    ("CODMn", 6.0, C.III),
    ("CODMn", 10.0, C.IV),
    ("CODMn", 15.0, C.V),
    ("CODMn", 15.01, C.INFERIOR_V),
    ("COD", 15.0, C.I),  # I = II = 15: the best class whose limit it meets
    ("COD", 18.0, C.III),  # jumps over II
    ("COD", 40.0, C.V),
    ("COD", 40.5, C.INFERIOR_V),
    ("BOD5", 3.0, C.I),
    ("BOD5", 3.5, C.III),
    ("NH3N", 0.15, C.I),
    ("NH3N", 0.16, C.II),
    ("NH3N", 0.5, C.II),
    ("NH3N", 1.0, C.III),
    ("NH3N", 1.5, C.IV),
    ("NH3N", 2.0, C.V),
    ("NH3N", 2.01, C.INFERIOR_V),
    ("TP", 0.02, C.I),
    ("TP", 0.1, C.II),
    ("TP", 0.2, C.III),
    ("TP", 0.3, C.IV),
    ("TP", 0.4, C.V),
    ("TP", 0.41, C.INFERIOR_V),
    ("TP_lake", 0.01, C.I),
    ("TP_lake", 0.025, C.II),
    ("TP_lake", 0.05, C.III),
    ("TP_lake", 0.1, C.IV),
    ("TP_lake", 0.2, C.V),
    ("TP_lake", 0.21, C.INFERIOR_V),
    ("TN", 0.2, C.I),
    ("TN", 2.0, C.V),
    ("TN", 2.1, C.INFERIOR_V),
    ("Cu", 0.01, C.I),
    ("Cu", 0.02, C.II),
    ("Cu", 1.0, C.II),
    ("Cu", 1.01, C.INFERIOR_V),
    ("Zn", 1.5, C.IV),
    ("F", 1.2, C.IV),
    ("Se", 0.015, C.IV),
    ("As", 0.06, C.IV),
    ("Hg", 0.00005, C.I),
    ("Hg", 0.0001, C.III),
    ("Hg", 0.001, C.IV),
    ("Hg", 0.0011, C.INFERIOR_V),
    ("Cd", 0.005, C.II),
    ("Cd", 0.01, C.V),
    ("Cr6", 0.05, C.II),
    ("Pb", 0.05, C.III),
    ("CN", 0.2, C.III),
    ("phenol", 0.005, C.III),
    ("oil", 0.5, C.IV),
    ("LAS", 0.3, C.IV),
    ("sulfide", 0.5, C.IV),
    ("coliform", 200, C.I),
    ("coliform", 10000, C.III),
    ("coliform", 40001, C.INFERIOR_V),
    ("pH", 6.0, C.I),
    ("pH", 9.0, C.I),
    ("pH", 7.0, C.I),
    ("pH", 5.99, C.INFERIOR_V),
    ("pH", 9.01, C.INFERIOR_V),
]


class TestClassifyValue:
    @pytest.mark.parametrize(("parameter", "value", "expected"), CASES)
    def test_each_limit(self, parameter: str, value: float, expected: C) -> None:
        assert gb3838.classify_value(parameter, value) == expected

    def test_every_table_limit_is_inclusive(self) -> None:
        for parameter, (_direction, limits) in gb3838.LIMITS.items():
            for i, limit in enumerate(limits):
                best = limits.index(limit)  # equal limits: the best class sharing it
                assert gb3838.classify_value(parameter, limit) == C(best + 1), (parameter, i)

    def test_an_unknown_parameter_is_a_key_error(self) -> None:
        with pytest.raises(KeyError):
            gb3838.classify_value("turbidity", 3.0)


class TestClassify:
    def test_the_worst_parameter_decides(self) -> None:
        found = gb3838.classify({"pH": 7.1, "DO": 6.5, "CODMn": 5.0, "NH3N": 1.2, "TP": 0.15})
        assert found is not None
        assert found.water_class == C.IV and found.deciding == ("NH3N",)
        assert found.by_parameter["DO"] == C.II and found.by_parameter["CODMn"] == C.III

    def test_ties_name_every_deciding_parameter(self) -> None:
        found = gb3838.classify({"DO": 4.0, "NH3N": 1.4, "CODMn": 1.0})
        assert found is not None and found.water_class == C.IV and found.deciding == ("DO", "NH3N")

    def test_inferior_v(self) -> None:
        found = gb3838.classify({"DO": 1.0, "NH3N": 0.3})
        assert found is not None and found.water_class == C.INFERIOR_V and found.water_class.label == "劣V"
        assert found.deciding == ("DO",)

    def test_ph_out_of_range_is_inferior_v(self) -> None:
        found = gb3838.classify({"pH": 9.5, "DO": 8.0})
        assert found is not None and found.water_class == C.INFERIOR_V and found.deciding == ("pH",)

    def test_lake_total_phosphorus(self) -> None:
        river = gb3838.classify({"TP": 0.08})
        lake = gb3838.classify({"TP": 0.08}, lake=True)
        assert river is not None and lake is not None
        assert river.water_class == C.II and lake.water_class == C.IV

    def test_unclassified_parameters_are_ignored(self) -> None:
        assert gb3838.classify({"temperature": 20.0, "turbidity": 5.0}) is None
        found = gb3838.classify({"temperature": 20.0, "DO": 8.0})
        assert found is not None and found.water_class == C.I and found.deciding == ("DO",)


class TestExceedance:
    def test_times_over_the_target(self) -> None:
        assert gb3838.exceedance("NH3N", 1.5, C.III) == pytest.approx(0.5)
        assert gb3838.exceedance("NH3N", 1.0, C.III) is None  # at the limit: meets it

    def test_not_for_do_or_ph(self) -> None:
        assert gb3838.exceedance("DO", 1.0, C.III) is None
        assert gb3838.exceedance("pH", 10.0, C.III) is None


class TestLabels:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [("III", C.III), ("劣V", C.INFERIOR_V), ("inferior V", C.INFERIOR_V), ("2", C.II)],
    )
    def test_parse(self, text: str, expected: C) -> None:
        assert C.parse(text) == expected

    def test_parse_refuses(self) -> None:
        with pytest.raises(ValueError):
            C.parse("VII")
