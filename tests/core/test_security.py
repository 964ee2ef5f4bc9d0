from sqlalchemy import column, select, table

from pingan.core.security import Actor, Grant, Role, ensure_in_scope, in_scope, scope_prefix

rows = table("rows", column("area_code"), column("unit_id"))


def _where(actor: Actor) -> str:
    stmt = in_scope(select(rows.c.area_code), rows.c.area_code, actor, unit_column=rows.c.unit_id)
    return str(stmt.compile(compile_kwargs={"literal_binds": True}))


class TestScopePrefix:
    def test_province_and_city_use_significant_digits(self) -> None:
        assert scope_prefix("330000") == "33"
        assert scope_prefix("330100") == "3301"
        assert scope_prefix("330108") == "330108"
        assert scope_prefix("33010800100101") == "33010800100101"


class TestInScope:
    def test_grid_worker_sees_only_own_grid(self) -> None:
        actor = Actor(1, "g", (Grant(Role.GRID_WORKER, "33010800100101"),))
        assert "'33010800100101'" in _where(actor)
        assert actor.can_see_area("33010800100101")
        assert not actor.can_see_area("33010800100102")

    def test_no_grant_means_nothing(self) -> None:
        assert "false" in _where(
            Actor(1, "r", (Grant(Role.RESIDENT, "330108"),))
        ).lower() or "0 = 1" in _where(Actor(1, "r", (Grant(Role.RESIDENT, "330108"),)))

    def test_handler_is_limited_to_unit(self) -> None:
        sql = _where(Actor(1, "h", (Grant(Role.DEPARTMENT_HANDLER, "330108", unit_id=7),)))
        assert "unit_id = 7" in sql

    def test_system_sees_everything(self) -> None:
        assert "WHERE" in _where(Actor.system())  # WHERE true
        ensure_in_scope(Actor.system(), None)


class TestEnsureInScope:
    def test_out_of_scope_is_not_found(self) -> None:
        import pytest

        from pingan.core.errors import NotFound

        actor = Actor(1, "s", (Grant(Role.STREET_OPERATOR, "330108001"),))
        ensure_in_scope(actor, "33010800100101")
        with pytest.raises(NotFound):
            ensure_in_scope(actor, "33010800200101")
