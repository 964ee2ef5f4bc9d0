"""The demo district's named main roads: the real names of Binjiang's arteries over the synthetic outline.

The lines follow the real roads' general course (east–west roads parallel to the Qiantang bank, north–south
roads crossing the district) closely enough for a person who knows the district to find their way on a map
without tiles; they are not survey data. Each line is clipped to the demo outline.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import LineString, mapping

from pingan.demo.district import OUTLINE

# name, kind, points (WGS-84 lon, lat), west → east or north → south
ROADS: tuple[tuple[str, str, tuple[tuple[float, float], ...]], ...] = (
    (
        "闻涛路",
        "main",
        (
            (120.138, 30.197),
            (120.150, 30.203),
            (120.168, 30.210),
            (120.185, 30.215),
            (120.205, 30.220),
            (120.225, 30.224),
            (120.248, 30.226),
        ),
    ),
    (
        "江南大道",
        "arterial",
        (
            (120.133, 30.190),
            (120.150, 30.198),
            (120.168, 30.205),
            (120.185, 30.210),
            (120.205, 30.215),
            (120.225, 30.219),
            (120.250, 30.221),
        ),
    ),
    (
        "滨盛路",
        "main",
        (
            (120.133, 30.183),
            (120.150, 30.191),
            (120.168, 30.198),
            (120.185, 30.203),
            (120.205, 30.208),
            (120.225, 30.212),
            (120.250, 30.214),
        ),
    ),
    (
        "滨安路",
        "main",
        (
            (120.134, 30.173),
            (120.150, 30.179),
            (120.170, 30.185),
            (120.190, 30.190),
            (120.210, 30.195),
            (120.230, 30.199),
            (120.248, 30.202),
        ),
    ),
    (
        "江虹路",
        "main",
        (
            (120.140, 30.163),
            (120.160, 30.168),
            (120.180, 30.174),
            (120.200, 30.179),
            (120.220, 30.184),
            (120.242, 30.188),
        ),
    ),
    ("浦沿路", "main", ((120.156, 30.206), (120.155, 30.190), (120.154, 30.170), (120.152, 30.148))),
    ("时代大道", "arterial", ((120.170, 30.213), (120.169, 30.195), (120.167, 30.175), (120.165, 30.148))),
    ("长河路", "main", ((120.186, 30.218), (120.185, 30.200), (120.184, 30.175), (120.182, 30.150))),
    ("东信大道", "main", ((120.197, 30.220), (120.196, 30.200), (120.195, 30.178), (120.193, 30.155))),
    ("江陵路", "arterial", ((120.212, 30.224), (120.211, 30.205), (120.209, 30.185), (120.206, 30.160))),
    ("秋溢路", "main", ((120.232, 30.229), (120.231, 30.210), (120.229, 30.190), (120.226, 30.168))),
)


def feature_collection() -> dict[str, Any]:
    """The demo roads as the GeoJSON that ``pingan areas import-roads`` takes."""
    features = []
    for name, kind, points in ROADS:
        line = LineString(points).intersection(OUTLINE)
        if line.is_empty:
            continue
        features.append(
            {"type": "Feature", "geometry": mapping(line), "properties": {"name": name, "kind": kind}}
        )
    return {"type": "FeatureCollection", "features": features}
