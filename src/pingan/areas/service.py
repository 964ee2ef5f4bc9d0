"""The areas package's public surface: the tree, boundaries in and out (GeoJSON), and the grid locator.

Other packages (and the import-linter contracts) name this module; the work lives in one file per job:
``tree`` (reading the tree, GeoJSON out), ``boundaries`` (GeoJSON in, validated, bulk writes), ``locator``
(point → grid) and ``geometry`` (sizes and stored boundaries).
"""

from __future__ import annotations

from pingan.areas.boundaries import (
    TOLERANCE_M2,
    TOLERANCE_SHARE,
    AreaLike,
    ImportProblem,
    ImportReport,
    Progress,
    import_geojson,
    insert_areas,
)
from pingan.areas.geometry import approx_area_m2, approx_areas_m2, geometry_of, set_boundary
from pingan.areas.locator import (
    AreaRef,
    Located,
    Locator,
    build_locator,
    bump_revision,
    get_locator,
    locate,
    locate_many,
)
from pingan.areas.roads import road_lines
from pingan.areas.tree import (
    ancestors,
    area_names,
    area_tree,
    export_geojson,
    feature_collection,
    feature_of,
    find_areas,
    get_area,
    level_counts,
    list_areas,
)

__all__ = [
    "TOLERANCE_M2",
    "TOLERANCE_SHARE",
    "AreaLike",
    "AreaRef",
    "ImportProblem",
    "ImportReport",
    "Located",
    "Locator",
    "Progress",
    "ancestors",
    "approx_area_m2",
    "approx_areas_m2",
    "area_names",
    "area_tree",
    "build_locator",
    "bump_revision",
    "export_geojson",
    "feature_collection",
    "feature_of",
    "find_areas",
    "geometry_of",
    "get_area",
    "get_locator",
    "import_geojson",
    "insert_areas",
    "level_counts",
    "list_areas",
    "locate",
    "locate_many",
    "road_lines",
    "set_boundary",
]
