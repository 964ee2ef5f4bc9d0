"""The kinds of unit, shared with every package that routes work to units (import them from here, not from
the tables in ``units.models``)."""

from __future__ import annotations

from enum import StrEnum


class UnitKind(StrEnum):
    DISTRICT_CENTRE = "district_centre"  # 区综合指挥中心
    STREET_CENTRE = "street_centre"  # 街道综合信息指挥室
    COMMUNITY = "community"  # 社区居委会
    GRID = "grid"  # 网格 (the grid team itself handles 小事不出网格)
    DEPARTMENT = "department"  # 职能部门: 公安, 城管, 应急, 市场监管, 生态环境 …
    TEAM = "team"  # patrol team, volunteer team
