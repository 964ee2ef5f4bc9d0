"""The areas module's declaration: the area tree (district → street → community → grid) and named roads."""

from __future__ import annotations

from pingan.core.modules import ApiRouter, Module

MODULE = Module(
    name="areas",
    title_zh="区域",
    title_en="Areas",
    spine=True,
    api_routers=(ApiRouter("pingan.areas.api:router"),),
    models=("pingan.areas.models",),
    migrations="spine",
)
