"""The module contract: what a capability module declares, how installed modules are found, and which run.

Each module package declares itself once, in ``<package>/module.py``, as ``MODULE = Module(...)``, and
registers that object under the entry-point group ``pingan.modules``
(``[project.entry-points."pingan.modules"]`` in its pyproject.toml). The app factory, the CLI, the models
registry, the demo, the wall and the navigation read the resolved list (:func:`resolve`); none of them names
a module. See docs/modules.md.

A declaration is cheap to import: routers, CLI groups, models, demo generators, jobs and tiles are named by
import strings (``"package.module:attribute"``, loaded by :func:`load` when used) or given as zero-argument
factories. This file imports neither FastAPI nor Typer nor SQLAlchemy.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pingan.core.errors import PinganError

log = logging.getLogger("pingan.modules")

ENTRY_POINT_GROUP = "pingan.modules"
# The modules Pingan ships, each registered under the entry point group like any other. Used as well when an
# editable install predates an entry point (its metadata is stale until reinstalled: ``make setup``).
BUILTIN = {
    "areas": "pingan.areas.module:MODULE",
    "units": "pingan.units.module:MODULE",
    "accounts": "pingan.accounts.module:MODULE",
    "audit": "pingan.audit.module:MODULE",
    "cases": "pingan.cases.module:MODULE",
    "devices": "pingan.devices.module:MODULE",
    "grids": "pingan.grids.module:MODULE",
    "patrols": "pingan.patrols.module:MODULE",
    "cameras": "pingan.cameras.module:MODULE",
    "inspections": "pingan.inspections.module:MODULE",
    "rivers": "pingan.rivers.module:MODULE",
}

# An import string ("package.module:attribute") or a zero-argument factory returning the object.
Ref = str | Callable[[], Any]


def load(ref: Ref) -> Any:
    """The object a reference names: the attribute of an import string, or what a factory returns."""
    if not isinstance(ref, str):
        return ref()
    module_name, sep, attribute = ref.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"{ref!r} is not an import string of the form 'package.module:attribute'")
    found: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


@dataclass(frozen=True)
class ApiRouter:
    """A router of the module: JSON API routes (in the OpenAPI document) or pages (not in it).

    ``error_responses``: document the shared error answers on its routes (off for routers that declare their
    own error shape, such as Open311's)."""

    ref: Ref
    error_responses: bool = True


@dataclass(frozen=True)
class ApiLink:
    """An OpenAPI link from the operation that creates a record (``POST create``) to the operations of the
    record (``record``, a path with the parameter ``parameter``), whose value is at ``expression`` in the
    create's answer (default: its ``id``). Clients and the stateful fuzzing follow these links."""

    create: str
    record: str
    parameter: str
    expression: str = "$response.body#/id"


@dataclass(frozen=True)
class CliGroup:
    """A Typer group added to the ``pingan`` command as ``pingan <name> ...``."""

    name: str
    ref: Ref


@dataclass(frozen=True)
class Job:
    """Background work run every ``every_seconds`` (dotted name, e.g. ``cases.refresh_sla``).

    ``ref`` names ``run(session_factory)``, which opens its own transactions and is safe with several server
    processes (it takes a lease: ``pingan.cases.interface.run_leased``). The servers run the jobs that
    ``PINGAN_JOBS`` selects (``pingan.web.jobs``)."""

    name: str
    every_seconds: float
    ref: Ref


@dataclass(frozen=True)
class WallTile:
    """A figure on the command-centre wall.

    ``build(session, actor, scope, translate)`` returns ``{"value": str, "sub": str}`` and, when the tile has
    a map layer, ``"points"``: ``[{"lon", "lat", "status"}]`` published in the wall data under
    ``points_key`` and shown by a toggle button labelled ``toggle_zh``/``toggle_en``."""

    key: str
    title_zh: str
    title_en: str
    build: Ref
    points_key: str | None = None
    toggle_zh: str = ""
    toggle_en: str = ""

    def title(self, lang: str) -> str:
        """The tile's heading in the viewer's language."""
        return self.title_en if lang == "en" else self.title_zh

    def toggle(self, lang: str) -> str:
        """The label of the tile's map-layer button in the viewer's language."""
        return self.toggle_en if lang == "en" else self.toggle_zh


@dataclass(frozen=True)
class NavLink:
    """A link in the top navigation, shown to users holding one of ``roles`` (role values; empty: everyone).

    ``landing``: the page those users land on after signing in (when no spine page is theirs)."""

    href: str
    label_zh: str
    label_en: str
    roles: tuple[str, ...] = ()
    landing: bool = False

    def label(self, lang: str) -> str:
        """The link's text in the viewer's language."""
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class CasePanel:
    """A section of the staff case page (``/work/cases/{id}``) contributed by the module.

    ``build(request, session, actor, case)`` returns what ``template`` shows, or ``None`` to show nothing.
    The template sees ``panel``: ``panel.data`` (what build returned), and ``panel.errors``/``panel.values``
    when the module's own form route renders the case page again with its errors (``work.case_view``)."""

    key: str
    template: str
    build: Ref


@dataclass(frozen=True)
class AreaPanel:
    """A section of the area page (``/grids/{code}``: one area's boundary, figures and open cases) contributed
    by the module.

    ``build(request, session, actor, area_code)`` returns what the panel shows, or ``None`` to show nothing: a
    dict whose ``"stats"`` (a list of ``{"value", "label"}``, the label in the viewer's language) join the
    page's figures, and which ``template``, when given, shows beside the open cases as ``panel.data``."""

    key: str
    build: Ref
    template: str | None = None


@dataclass(frozen=True)
class CaseCategory:
    """A case category the module raises cases in (a 4-digit code under an existing major class). The demo
    creates it when missing; in production the module's first migration inserts it (docs/modules.md)."""

    code: str
    name_zh: str
    name_en: str
    default_priority: str = "normal"
    is_public: bool = True


@dataclass(frozen=True)
class PlaceType:
    """A kind of place the module adds to the one register of places (the grids module's key places).

    A module that needs places lists them in that register under its types and keeps its own facts about a
    place in its own tables, keyed by the place id (``pingan.grids.interface``); it keeps no place table."""

    code: str
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        """The type's name in the viewer's language."""
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class VerificationCheck:
    """A check the cases spine runs before a case of one of ``categories`` may be verified (核查).

    ``check(session, case)`` returns ``None`` when the case may be verified, else the reason it may not yet
    (shown in the 409 answer), e.g. "a re-inspection of the failed items must pass first"."""

    categories: tuple[str, ...]
    check: Ref


@dataclass(frozen=True)
class DeviceKind:
    """A kind of device that reports liveness (a patrol phone, a camera, a river station …).

    Every device of the kind records when it was last heard from through the one liveness mechanism
    (``pingan.devices.interface``). It is *online* while heard within ``offline_after_seconds``, *offline*
    after (the sweep, job ``devices.sweep``). When ``outage_category`` (a case category code) is set, an
    outage that lasts ``outage_after_seconds`` becomes one case (deduplicated: one open case per device, key
    ``device-outage:<kind>:<external_id>``), which an operator can snooze. ``keep_outages`` keeps every
    offline spell the sweep finds in the outage history (``device_outages``, what online rates are computed
    from); a kind whose devices are off as a matter of course (a volunteer's phone off shift) keeps none
    (a relayed report that a device is down, ``went_offline``, is always kept)."""

    code: str
    name_zh: str
    name_en: str
    offline_after_seconds: int = 600
    outage_category: str | None = None
    outage_after_seconds: int = 1800
    keep_outages: bool = True

    def name(self, lang: str) -> str:
        """The kind's name in the viewer's language."""
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class Figure:
    """A figure the module computes from its own records that other modules may read without importing it
    (e.g. ``patrols.turnouts``: patrol turn-outs in a period and scope), through :mod:`pingan.core.figures`.

    ``provider`` names ``provider(session, actor, *, start, end, area_code) -> int | float``: the figure over
    ``[start, end)`` within ``area_code`` (``None``: the actor's whole scope), restricted to what ``actor``
    may see. The name is dotted, starting with the module's name."""

    name: str
    title_zh: str
    title_en: str
    provider: Ref
    unit_zh: str = ""
    unit_en: str = ""

    def title(self, lang: str) -> str:
        """The figure's name in the viewer's language."""
        return self.title_en if lang == "en" else self.title_zh


@dataclass(frozen=True)
class Module:
    """One module's declaration: everything the application needs to wire it in.

    ``depends`` names the modules it needs (they start before it, and it cannot run without them).
    ``spine`` modules are always on. ``demo``: generators ``generate(session, *, seed, step)``, run in order.
    ``api_links``: OpenAPI links from its creates to its records. ``app_hooks`` are ``install(app)``
    callables run after the routers are mounted. ``address_locators`` are offered to the case intake
    (``cases.hooks``). ``case_panels``/``area_panels``: its sections of the spine's case and area pages.
    ``templates``: ``"package:folder"`` of the module's Jinja templates (they may extend the shared
    ``base.html``). ``migrations``: its Alembic branch label. ``place_types``: the kinds of place it adds to
    the one register of places; ``device_kinds``: the kinds of device whose liveness it reports;
    ``verification_checks``: what must hold before the spine lets a case of its categories be verified;
    ``figures``: what it computes from its records for other modules to read (``pingan.core.figures``)."""

    name: str
    title_zh: str
    title_en: str
    depends: tuple[str, ...] = ()
    spine: bool = False
    api_routers: tuple[ApiRouter, ...] = ()
    api_links: tuple[ApiLink, ...] = ()
    page_routers: tuple[ApiRouter, ...] = ()
    app_hooks: tuple[Ref, ...] = ()
    cli: tuple[CliGroup, ...] = ()
    models: tuple[str, ...] = ()
    demo: tuple[Ref, ...] = ()
    jobs: tuple[Job, ...] = ()
    wall_tiles: tuple[WallTile, ...] = ()
    nav: tuple[NavLink, ...] = ()
    case_categories: tuple[CaseCategory, ...] = ()
    case_panels: tuple[CasePanel, ...] = ()
    area_panels: tuple[AreaPanel, ...] = ()
    address_locators: tuple[str, ...] = ()
    place_types: tuple[PlaceType, ...] = ()
    device_kinds: tuple[DeviceKind, ...] = ()
    verification_checks: tuple[VerificationCheck, ...] = ()
    figures: tuple[Figure, ...] = ()
    templates: str | None = None
    migrations: str | None = None

    def title(self, lang: str) -> str:
        """The module's name in the viewer's language."""
        return self.title_en if lang == "en" else self.title_zh


class ModuleError(PinganError):
    """The configured set of modules cannot run (unknown name, missing dependency, bad declaration)."""

    code = "modules"
    status = 500


def template_folder(module: Module) -> Path | None:
    """The folder of the module's own templates (``Module.templates``), if it has one."""
    if module.templates is None:
        return None
    package, _, folder = module.templates.partition(":")
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModuleError(f"module {module.name}: templates package {package!r} not found")
    return Path(spec.origin).parent / folder


def installed() -> dict[str, Module]:
    """Every installed module by name: the entry points of group ``pingan.modules``, plus the built-in modules
    an out-of-date editable install does not list yet."""
    found: dict[str, Module] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in found:
            continue
        found[point.name] = _checked(point.name, point.load())
    missing = [name for name in BUILTIN if name not in found]
    if missing:
        log.info(
            "modules %s are not registered as entry points (an editable install older than pyproject.toml: "
            "reinstall it); using the built-in declarations",
            ", ".join(missing),
        )
        for name in missing:
            found[name] = _checked(name, load(BUILTIN[name]))
    return found


def _checked(name: str, declared: object) -> Module:
    if not isinstance(declared, Module):
        raise ModuleError(f"entry point {name!r} of {ENTRY_POINT_GROUP} is not a pingan Module declaration")
    if declared.name != name:
        raise ModuleError(
            f"entry point {name!r} of {ENTRY_POINT_GROUP} declares a module named {declared.name!r}"
        )
    return declared


def parse_names(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """The module names of a ``PINGAN_MODULES`` value (comma- or space-separated); ``None`` when unset
    or empty (meaning: every installed module)."""
    if value is None:
        return None
    parts = value.replace(",", " ").split() if isinstance(value, str) else [v.strip() for v in value]
    names = tuple(dict.fromkeys(p for p in parts if p))
    return names or None


def resolve(
    wanted: str | Iterable[str] | None, available: Mapping[str, Module] | None = None
) -> list[Module]:
    """The modules to run, dependencies first: the spine modules, the ``wanted`` ones (default: all
    installed). An unknown name or a dependency that is not enabled is a :class:`ModuleError` naming it."""
    available = installed() if available is None else available
    names = parse_names(wanted)
    if names is None:
        chosen = set(available)
    else:
        unknown = [n for n in names if n not in available]
        if unknown:
            raise ModuleError(
                f"PINGAN_MODULES: unknown module {', '.join(unknown)} "
                f"(installed: {', '.join(sorted(available))})",
                field="PINGAN_MODULES",
            )
        chosen = set(names) | {m.name for m in available.values() if m.spine}
    for name in sorted(chosen):
        for needed in available[name].depends:
            if needed not in chosen:
                why = "which is not installed" if needed not in available else "which is not enabled"
                raise ModuleError(f"PINGAN_MODULES: {name} needs {needed}, {why}", field="PINGAN_MODULES")
    return _ordered([available[n] for n in chosen])


def _ordered(modules: list[Module]) -> list[Module]:
    """Dependencies first (Kahn); among modules free to go, spine first, then by name: a stable order."""
    by_name = {m.name: m for m in modules}
    waiting = {m.name: set(m.depends) for m in modules}
    done: list[Module] = []
    while waiting:
        ready = sorted(
            (n for n, deps in waiting.items() if not deps), key=lambda n: (not by_name[n].spine, n)
        )
        if not ready:
            raise ModuleError(
                f"PINGAN_MODULES: modules depend on each other in a circle: {', '.join(sorted(waiting))}"
            )
        name = ready[0]
        done.append(by_name[name])
        del waiting[name]
        for deps in waiting.values():
            deps.discard(name)
    return done


def from_environment() -> list[Module]:
    """The modules ``PINGAN_MODULES`` enables, read from the process environment only (for the CLI, which
    must start without loading the settings library)."""
    return resolve(os.environ.get("PINGAN_MODULES"))


__all__ = [
    "ApiLink",
    "ApiRouter",
    "AreaPanel",
    "CaseCategory",
    "CasePanel",
    "CliGroup",
    "DeviceKind",
    "Figure",
    "Job",
    "Module",
    "ModuleError",
    "NavLink",
    "PlaceType",
    "Ref",
    "VerificationCheck",
    "WallTile",
    "from_environment",
    "installed",
    "load",
    "parse_names",
    "resolve",
    "template_folder",
]
