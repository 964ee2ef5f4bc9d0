"""GeoJSON answers (RFC 7946) as declared models: a FeatureCollection of features with typed properties.

A module declares its features' properties and names its collection, e.g.
``class AreaCollection(FeatureCollection[AreaFeature])`` with ``class AreaFeature(Feature[AreaProperties])``,
so ``/openapi.json`` describes what a map layer holds. Coordinates stay as the geometry library wrote them:
they are not checked point by point (boundaries hold many thousands).
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

__all__ = ["Feature", "FeatureCollection", "Geometry"]

P = TypeVar("P", bound=BaseModel)
F = TypeVar("F", bound=BaseModel)


class Geometry(BaseModel):
    """A GeoJSON geometry: Point, LineString, Polygon, their Multi… forms (WGS-84 ``[lon, lat]``)."""

    type: str = Field(description="Point, LineString, Polygon, MultiPoint, MultiLineString or MultiPolygon")
    coordinates: Any = Field(description="nested arrays of [lon, lat] positions, as GeoJSON nests them")


class Feature(BaseModel, Generic[P]):
    """One GeoJSON feature: a geometry (or null) and its properties."""

    type: Literal["Feature"] = "Feature"
    geometry: Geometry | None
    properties: P


class FeatureCollection(BaseModel, Generic[F]):
    """A GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[F]
