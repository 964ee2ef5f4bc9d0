"""The accounts module's declaration: sign-in, accounts, role grants and personal-data keys."""

from __future__ import annotations

from pingan.core.modules import ApiRouter, CliGroup, Module

MODULE = Module(
    name="accounts",
    title_zh="账号",
    title_en="Accounts",
    depends=("areas", "units", "audit"),
    spine=True,
    api_routers=(ApiRouter("pingan.accounts.api:router"), ApiRouter("pingan.accounts.api:accounts_router")),
    cli=(CliGroup("user", "pingan.accounts.cli:user_app"), CliGroup("keys", "pingan.accounts.cli:keys_app")),
    models=("pingan.accounts.models",),
    migrations="spine",
)
