"""The units module's declaration: the organisations that own work (departments, street offices, teams)."""

from __future__ import annotations

from pingan.core.modules import Module

MODULE = Module(
    name="units",
    title_zh="单位",
    title_en="Units",
    depends=("areas",),
    spine=True,
    models=("pingan.units.models",),
    migrations="spine",
)
