"""Which modules run: discovery through the entry points, dependency order, and the start-up errors."""

from __future__ import annotations

import pytest

from pingan.core.modules import BUILTIN, Module, ModuleError, installed, load, parse_names, resolve

SPINE = Module("core", "核心", "Core", spine=True)
BASE = Module("base", "基础", "Base", depends=("core",), spine=True)
GRIDS = Module("grids", "网格", "Grids", depends=("base",))
PATROLS = Module("patrols", "巡防", "Patrols", depends=("grids",))
RIVERS = Module("rivers", "河道", "Rivers", depends=("base",))
AVAILABLE = {m.name: m for m in (PATROLS, RIVERS, GRIDS, BASE, SPINE)}


def names(modules: list[Module]) -> list[str]:
    return [m.name for m in modules]


class TestResolve:
    def test_default_is_every_installed_module_dependencies_first(self) -> None:
        assert names(resolve(None, AVAILABLE)) == ["core", "base", "grids", "patrols", "rivers"]

    def test_empty_setting_means_every_module(self) -> None:
        assert names(resolve("", AVAILABLE)) == names(resolve(None, AVAILABLE))

    def test_a_subset_runs_with_the_spine_in_dependency_order(self) -> None:
        assert names(resolve("patrols, grids", AVAILABLE)) == ["core", "base", "grids", "patrols"]

    def test_naming_a_spine_module_alone_runs_the_spine_only(self) -> None:
        assert names(resolve("base", AVAILABLE)) == ["core", "base"]

    def test_a_missing_dependency_is_a_start_up_error_naming_it(self) -> None:
        with pytest.raises(ModuleError) as caught:
            resolve("patrols,rivers", AVAILABLE)
        assert caught.value.message == "PINGAN_MODULES: patrols needs grids, which is not enabled"
        assert caught.value.field == "PINGAN_MODULES"

    def test_a_dependency_not_installed_is_named_too(self) -> None:
        lonely = {**AVAILABLE, "parcels": Module("parcels", "快递", "Parcels", depends=("inspections",))}
        with pytest.raises(ModuleError, match="parcels needs inspections, which is not installed"):
            resolve("parcels", lonely)

    def test_an_unknown_module_is_an_error_listing_the_installed_ones(self) -> None:
        with pytest.raises(ModuleError, match="unknown module sewers .*installed: base, core, grids"):
            resolve("grids,sewers", AVAILABLE)

    def test_a_dependency_circle_is_an_error(self) -> None:
        circle = {
            "a": Module("a", "甲", "A", depends=("b",)),
            "b": Module("b", "乙", "B", depends=("a",)),
        }
        with pytest.raises(ModuleError, match="circle: a, b"):
            resolve(None, circle)


class TestParseNames:
    @pytest.mark.parametrize("value", [None, "", " , "])
    def test_unset_means_all(self, value: str | None) -> None:
        assert parse_names(value) is None

    def test_commas_and_spaces_separate_and_repeats_collapse(self) -> None:
        assert parse_names("grids, patrols grids") == ("grids", "patrols")


class TestInstalled:
    def test_every_built_in_module_is_found_under_its_name(self) -> None:
        found = installed()
        assert set(BUILTIN) <= set(found)
        assert all(found[name].name == name for name in BUILTIN)

    def test_the_built_ins_resolve_spine_first(self) -> None:
        order = names(resolve("grids,patrols", installed()))
        assert order == ["areas", "audit", "units", "accounts", "cases", "devices", "grids", "patrols"]
        assert [m.name for m in resolve("cases") if not m.spine] == []

    def test_declarations_name_what_exists(self) -> None:
        """Every import string of every built-in declaration loads (a typo fails here, not at start-up)."""
        for module in installed().values():
            refs = [r.ref for r in (*module.api_routers, *module.page_routers)]
            refs += [
                *module.app_hooks,
                *module.demo,
                *(g.ref for g in module.cli),
                *(j.ref for j in module.jobs),
            ]
            refs += [t.build for t in module.wall_tiles]
            for ref in refs:
                assert load(ref) is not None, ref


class TestLoad:
    def test_an_import_string_needs_module_and_attribute(self) -> None:
        with pytest.raises(ValueError, match="package.module:attribute"):
            load("pingan.grids.api")

    def test_a_factory_is_called(self) -> None:
        assert load(lambda: 42) == 42
