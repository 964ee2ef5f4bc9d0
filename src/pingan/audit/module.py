"""The audit module's declaration: the audit trail of who saw which personal data, and retention."""

from __future__ import annotations

from pingan.core.modules import ApiRouter, CliGroup, Module

MODULE = Module(
    name="audit",
    title_zh="审计",
    title_en="Audit",
    depends=("areas",),
    spine=True,
    api_routers=(ApiRouter("pingan.audit.api:router"),),
    cli=(
        CliGroup("audit", "pingan.audit.cli:audit_app"),
        CliGroup("retention", "pingan.audit.cli:retention_app"),
    ),
    models=("pingan.audit.models",),
    migrations="spine",
)
