"""Imports every module's tables so that ``Base.metadata`` is complete (Alembic autogenerate, tests)."""

from __future__ import annotations

from pingan.accounts import models as accounts_models
from pingan.areas import models as areas_models
from pingan.audit import models as audit_models
from pingan.cases import models as cases_models
from pingan.core.db import Base
from pingan.grids import models as grids_models
from pingan.patrols import models as patrols_models
from pingan.units import models as units_models

__all__ = [
    "Base",
    "accounts_models",
    "areas_models",
    "audit_models",
    "cases_models",
    "patrols_models",
    "grids_models",
    "units_models",
]
