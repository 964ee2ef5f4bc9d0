"""Imports the enabled modules' tables so that ``Base.metadata`` is complete (Alembic, tests).

Which modules: ``PINGAN_MODULES`` (default: every installed one; the spine always), each naming its models
in its declaration (``Module.models``)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from pingan.core.config import get_settings
from pingan.core.db import Base
from pingan.core.modules import Module, resolve


def load_models(modules: Iterable[Module]) -> None:
    """Import the models of ``modules`` (their tables join ``Base.metadata``)."""
    for module in modules:
        for name in module.models:
            importlib.import_module(name)


load_models(resolve(get_settings().modules))

__all__ = ["Base", "load_models"]
