"""The grids module's service functions in one place (for its adapters, the CLI and the web layer); other
capability modules use only ``pingan.grids.interface`` (the register of places).

Registers: create/get/update/list buildings, households, residents and key places (``list_places``),
change history; staff and coverage gaps; visits and coverage KPIs; tasks and population checks; opinions.
Paging is the spine's (``pingan.core.pagination``).
"""

from __future__ import annotations

from pingan.grids.buildings import create_building, get_building, update_building
from pingan.grids.households import create_household, get_household, update_household
from pingan.grids.io import export_register, import_register, template
from pingan.grids.opinions import answer_opinion, get_opinion, opinion_to_case, submit_opinion, tag_opinion
from pingan.grids.places import create_place, get_place, list_places, reveal_place, update_place
from pingan.grids.registers import record_history
from pingan.grids.residents import (
    create_resident,
    get_resident,
    move_out_resident,
    reveal_resident,
    update_resident,
)
from pingan.grids.staff import coverage_gaps, create_staff, get_staff, link_staff, unlink_staff
from pingan.grids.tasks import (
    acknowledge_task,
    check_resident,
    close_task,
    complete_task,
    create_task,
    task_progress,
)
from pingan.grids.visits import cadre_coverage, grid_coverage, never_visited, record_visit

__all__ = [
    "acknowledge_task",
    "answer_opinion",
    "cadre_coverage",
    "check_resident",
    "close_task",
    "complete_task",
    "coverage_gaps",
    "create_building",
    "create_household",
    "create_place",
    "create_resident",
    "create_staff",
    "create_task",
    "export_register",
    "get_building",
    "get_household",
    "get_opinion",
    "get_place",
    "get_resident",
    "get_staff",
    "grid_coverage",
    "import_register",
    "link_staff",
    "list_places",
    "move_out_resident",
    "never_visited",
    "opinion_to_case",
    "record_history",
    "record_visit",
    "reveal_place",
    "reveal_resident",
    "submit_opinion",
    "tag_opinion",
    "task_progress",
    "template",
    "unlink_staff",
    "update_building",
    "update_household",
    "update_place",
    "update_resident",
]
