"""Hooks that modules above ``cases`` register into it, kept free of heavy imports so that registering one
(at a module's import) costs nothing: e.g. ``pingan grids --help`` imports ``pingan.grids`` but not the
intake pipeline."""

from __future__ import annotations

# Where an address alone lies is known above this module (the grids module's address register): such modules
# register a locator, ``(session, text) -> (lon, lat) in WGS-84 | None``, by "module:function" so that the
# intake writer process finds it too.
ADDRESS_LOCATORS: list[str] = []


def register_address_locator(ref: str) -> None:
    """Offer ``module:function`` to place reports that give an address and no point."""
    if ref not in ADDRESS_LOCATORS:
        ADDRESS_LOCATORS.append(ref)
