"""What modules above the spine may use of the cases package: raise a case, add a step to a case, read a case
in the actor's scope, queue a live-feed message, move a case through the workflow (``transition``: the same
rules, capacities and checks as the staff's own actions; ``allowed_actions``), and run a periodic job under a
lease (one process at a time). Nothing else of ``pingan.cases`` is theirs to import
(import-linter's "modules use the cases spine only through its interface" contract), apart from
:mod:`pingan.cases.hooks`, where they register what they offer to the intake.

Each name here is the cases service's own function, re-exported unchanged: the rules, the scope checks and
the audit stay in one place.
"""

from __future__ import annotations

from pingan.cases.jobs import run_leased
from pingan.cases.live import queue_message
from pingan.cases.models import Case
from pingan.cases.service import get_case, raise_case
from pingan.cases.timeline import add_event
from pingan.cases.types import OPEN_STATES
from pingan.cases.workflow import allowed_actions, transition

__all__ = [
    "OPEN_STATES",
    "Case",
    "add_event",
    "allowed_actions",
    "get_case",
    "queue_message",
    "raise_case",
    "run_leased",
    "transition",
]
