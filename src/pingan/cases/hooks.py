"""Hooks that modules above ``cases`` register into it, kept free of heavy imports so that registering one
(at a module's import) costs nothing: e.g. ``pingan grids --help`` imports ``pingan.grids`` but not the
intake pipeline."""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any

# Where an address alone lies is known above this module (the grids module's address register): such modules
# register a locator, ``(session, text) -> (lon, lat) in WGS-84 | None``, by "module:function" so that the
# intake writer process finds it too.
ADDRESS_LOCATORS: list[str] = []


def register_address_locator(ref: str) -> None:
    """Offer ``module:function`` to place reports that give an address and no point."""
    if ref not in ADDRESS_LOCATORS:
        ADDRESS_LOCATORS.append(ref)


def verification_checks(settings_modules: str, category_code: str) -> tuple[Any, ...]:
    """The checks the enabled modules (``settings_modules``: the ``PINGAN_MODULES`` setting) declare for
    verifying a case of ``category_code`` (``Module.verification_checks``)."""
    return _checks_by_category(settings_modules, tuple(sys.path)).get(category_code, ())


@lru_cache(maxsize=8)
def _checks_by_category(settings_modules: str, _path: tuple[str, ...]) -> dict[str, tuple[Any, ...]]:
    from pingan.core.modules import resolve

    found: dict[str, list[Any]] = {}
    for module in resolve(settings_modules):
        for declared in module.verification_checks:
            for code in declared.categories:
                found.setdefault(code, []).append(declared.check)
    return {code: tuple(refs) for code, refs in found.items()}
