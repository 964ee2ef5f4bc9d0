"""`pingan rivers …`: the MQTT subscriber (one per deployment, under the spine's lease) and a look at the
stations' classes."""

from __future__ import annotations

import typer

rivers_app = typer.Typer(help="Rivers and water-quality stations (五水共治).", no_args_is_help=True)
