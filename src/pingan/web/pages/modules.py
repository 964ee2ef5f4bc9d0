"""Which modules this application runs (``app.state.modules``, resolved from ``PINGAN_MODULES`` by the app
factory), and what they add to the shared pages: navigation links, landing pages, wall tiles, and the panels
of the case and area pages."""

from __future__ import annotations

from fastapi import FastAPI

from pingan.core.modules import AreaPanel, CasePanel, Module, NavLink, WallTile
from pingan.core.security import Actor


def enabled(app: FastAPI) -> tuple[Module, ...]:
    """The modules the app runs, dependencies first."""
    modules: tuple[Module, ...] = app.state.modules
    return modules


def has_module(app: FastAPI, name: str) -> bool:
    """Whether the app runs the module ``name``."""
    return any(module.name == name for module in enabled(app))


def _may_see(actor: Actor | None, link: NavLink) -> bool:
    if not link.roles:
        return True
    return actor is not None and (actor.is_system or any(grant.role in link.roles for grant in actor.grants))


def nav_links(app: FastAPI, actor: Actor | None) -> list[NavLink]:
    """The enabled modules' navigation links that ``actor`` may see, in module order."""
    return [link for module in enabled(app) for link in module.nav if _may_see(actor, link)]


def landing_page(app: FastAPI, actor: Actor | None) -> str | None:
    """The first enabled module's landing page for ``actor`` (e.g. a grid worker's ``/gridwork``)."""
    for link in nav_links(app, actor):
        if link.landing and link.roles:
            return link.href
    return None


def wall_tiles(app: FastAPI) -> tuple[WallTile, ...]:
    """The enabled modules' wall tiles, in module order."""
    return tuple(tile for module in enabled(app) for tile in module.wall_tiles)


def case_panels(app: FastAPI) -> tuple[CasePanel, ...]:
    """The enabled modules' sections of the staff case page, in module order."""
    return tuple(panel for module in enabled(app) for panel in module.case_panels)


def area_panels(app: FastAPI) -> tuple[AreaPanel, ...]:
    """The enabled modules' sections of the area page, in module order."""
    return tuple(panel for module in enabled(app) for panel in module.area_panels)
