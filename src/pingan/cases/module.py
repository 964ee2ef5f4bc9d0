"""The cases module's declaration: intake, routing, the case workflow and its SLA clocks, Open311."""

from __future__ import annotations

from pingan.core.modules import ApiRouter, CliGroup, Job, Module

MODULE = Module(
    name="cases",
    title_zh="事件",
    title_en="Cases",
    depends=("areas", "units", "accounts", "audit"),
    spine=True,
    api_routers=(
        ApiRouter("pingan.cases.api:router"),
        # answers in the GeoReport shape, declared by the router itself
        ApiRouter("pingan.cases.open311_api:router", error_responses=False),
    ),
    cli=(CliGroup("cases", "pingan.cases.cli:cases_app"),),
    models=("pingan.cases.models",),
    demo=("pingan.demo.cases:generate_cases",),
    # in the server when PINGAN_CASES_SLA_TICK_SECONDS > 0 (`pingan demo` sets 60), or `pingan cases sla`
    # (the in-server SLA ticker also refreshes the KPIs' daily roll-up: `pingan cases sla-tick` does too)
    jobs=(
        Job("cases.refresh_sla", 60.0, "pingan.cases.jobs:tick_once"),
        Job("cases.refresh_kpi_days", 60.0, "pingan.cases.kpi_days:refresh_job"),
    ),
    migrations="cases",
)
