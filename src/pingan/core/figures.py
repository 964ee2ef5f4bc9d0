"""Figures one module reads from another without importing it (``Module.figures``).

A module declares the figures it computes from its own records (``Figure(name, ..., provider=...)``); another
reads one by name with :func:`read_figure`, which finds it among the enabled modules (the ``PINGAN_MODULES``
setting of the session). A figure of a module that is not enabled is a :class:`FigureUnavailable` naming it,
which a caller shows as "unavailable". This file names no module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from pingan.core.config import settings_of
from pingan.core.errors import PinganError
from pingan.core.modules import Figure, load, resolve


class FigureUnavailable(PinganError):
    """No enabled module declares the figure asked for."""

    code = "figure_unavailable"
    status = 404


Provider = Callable[..., int | float]


def declared(settings_modules: str | None) -> dict[str, Figure]:
    """Every figure the enabled modules declare, by name (``settings_modules``: ``PINGAN_MODULES``)."""
    return _declared(settings_modules or "", tuple(sys.path))


@lru_cache(maxsize=8)
def _declared(settings_modules: str, _path: tuple[str, ...]) -> dict[str, Figure]:
    found: dict[str, Figure] = {}
    for module in resolve(settings_modules or None):
        for fig in module.figures:
            found[fig.name] = fig
    return found


def figure(name: str, settings_modules: str | None) -> tuple[Figure, Provider]:
    """The declaration of figure ``name`` and its provider; :class:`FigureUnavailable` naming it when no
    enabled module declares it (its module is not enabled, or the name is wrong)."""
    fig = declared(settings_modules).get(name)
    if fig is None:
        owner = name.partition(".")[0]
        raise FigureUnavailable(
            f"figure {name} is unavailable: module {owner} is not enabled or declares no such figure",
            field=name,
        )
    provider: Provider = load(fig.provider)
    return fig, provider


def read_figure(
    session: Any, actor: Any, name: str, *, start: datetime, end: datetime, area_code: str | None = None
) -> int | float:
    """The figure ``name`` over ``[start, end)`` within ``area_code`` as ``actor`` may see it."""
    _, provider = figure(name, settings_of(session).modules)
    return provider(session, actor, start=start, end=end, area_code=area_code)


__all__ = ["FigureUnavailable", "Provider", "declared", "figure", "read_figure"]
