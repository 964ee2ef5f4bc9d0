from collections import Counter

import shapely

from pingan.areas.service import approx_area_m2
from pingan.demo.district import OUTLINE, build_district


class TestBuildDistrict:
    def test_sizes_echo_binjiang(self) -> None:
        specs = build_district(2016)
        counts = Counter(s.level for s in specs)
        assert counts == {"district": 1, "street": 3, "community": 60, "grid": 239}
        assert {s.name for s in specs if s.level == "street"} == {"西兴街道", "长河街道", "浦沿街道"}
        names = {s.name for s in specs if s.level == "community"}
        assert {"岩大房社区", "月明社区", "水电社区"} <= names

    def test_grids_tile_the_district_without_gaps_or_overlaps(self) -> None:
        grids = [s.geom for s in build_district(2016) if s.level == "grid"]
        union = shapely.union_all(grids)
        assert approx_area_m2(union.symmetric_difference(OUTLINE)) < 10
        assert abs(sum(approx_area_m2(g) for g in grids) - approx_area_m2(union)) < 10

    def test_codes_nest(self) -> None:
        for spec in build_district(2016):
            if spec.parent_code:
                assert spec.code.startswith(spec.parent_code)
            if spec.level == "grid":
                assert len(spec.code) == 14

    def test_deterministic(self) -> None:
        a = [(s.code, s.name, s.households, s.geom.wkb) for s in build_district(7)]
        b = [(s.code, s.name, s.households, s.geom.wkb) for s in build_district(7)]
        assert a == b
