import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pingan.core import geo
from pingan.core.errors import ValidationFailed

WGS = (120.210000, 30.208000)
GCJ = (120.214534, 30.205570)
BD = (120.220993, 30.211650)


class TestForward:
    def test_wgs84_to_gcj02_matches_reference(self) -> None:
        assert geo.wgs84_to_gcj02(*WGS) == pytest.approx(GCJ, abs=1e-6)

    def test_gcj02_to_bd09_matches_reference(self) -> None:
        assert geo.gcj02_to_bd09(*GCJ) == pytest.approx(BD, abs=1e-6)

    def test_outside_china_is_unchanged(self) -> None:
        assert geo.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


class TestInverse:
    def test_round_trip_gcj02_is_submillimetre(self) -> None:
        lon, lat = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(*WGS))
        assert geo.haversine_m(lon, lat, *WGS) < 1e-3

    def test_round_trip_bd09(self) -> None:
        lon, lat = geo.to_wgs84(*geo.from_wgs84(*WGS, "bd09"), "bd09")
        assert geo.haversine_m(lon, lat, *WGS) < 1e-3

    def test_vectorised_equals_scalar(self) -> None:
        rng = np.random.default_rng(1)
        lon = rng.uniform(120.13, 120.25, 100)
        lat = rng.uniform(30.15, 30.23, 100)
        vlon, vlat = geo.to_wgs84(lon, lat, geo.CRS.GCJ02)
        for i in (0, 50, 99):
            assert (vlon[i], vlat[i]) == pytest.approx(
                geo.gcj02_to_wgs84(float(lon[i]), float(lat[i])), abs=1e-12
            )


class TestParseCrs:
    @pytest.mark.parametrize(
        "name,expected",
        [("WGS84", "wgs84"), ("gcj-02", "gcj02"), ("bd09", "bd09"), ("cgcs2000", "wgs84"), (None, "wgs84")],
    )
    def test_accepts_aliases(self, name: str | None, expected: str) -> None:
        assert geo.parse_crs(name) == expected

    def test_rejects_unknown(self) -> None:
        with pytest.raises(ValidationFailed) as info:
            geo.parse_crs("utm50")
        assert info.value.field == "crs"


class TestInverseIsPerPoint:
    """A point's conversion does not depend on the other points of its request (each point converges on
    its own): a point on a grid edge is placed in the same grid alone or in any batch."""

    @settings(max_examples=200, deadline=None)
    @given(
        st.tuples(st.floats(120.0, 120.4), st.floats(30.0, 30.4)),
        st.lists(
            st.tuples(st.floats(73.0, 135.0), st.floats(4.0, 53.0))
            | st.tuples(st.floats(-180.0, 180.0), st.floats(-90.0, 90.0)),
            min_size=1,
            max_size=40,
        ),
        st.integers(0, 40),
        st.sampled_from([geo.CRS.GCJ02, geo.CRS.BD09]),
    )
    def test_alone_equals_in_any_batch(
        self, point: tuple[float, float], others: list[tuple[float, float]], at: int, crs: geo.CRS
    ) -> None:
        at = min(at, len(others))
        points = others[:at] + [point] + others[at:]
        lons = np.array([p[0] for p in points])
        lats = np.array([p[1] for p in points])
        blon, blat = geo.to_wgs84(lons, lats, crs)
        alon, alat = geo.to_wgs84(np.array([point[0]]), np.array([point[1]]), crs)
        assert (blon[at], blat[at]) == (alon[0], alat[0])
        assert (blon[at], blat[at]) == geo.to_wgs84(point[0], point[1], crs)
