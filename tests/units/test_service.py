from sqlalchemy.orm import Session

from pingan.units import service
from pingan.units.models import UnitKind as ModelsUnitKind
from pingan.units.types import UnitKind


class TestUnitKind:
    def test_the_models_re_export_the_one_enum(self) -> None:
        assert ModelsUnitKind is UnitKind


class TestFindUnit:
    def test_a_unit_or_none(self, session: Session) -> None:
        unit = service.create_unit(session, code="T-FIND", name="测试", kind="department", area_code="330108")
        assert service.find_unit(session, unit.id) is unit
        assert service.find_unit(session, 2_000_000_000) is None


class TestUnitsById:
    def test_the_units_asked_or_all(self, session: Session) -> None:
        a = service.create_unit(session, code="T-A", name="甲", kind=UnitKind.TEAM, area_code="330108")
        b = service.create_unit(session, code="T-B", name="乙", kind=UnitKind.TEAM, area_code="330108")
        assert service.units_by_id(session, [a.id]) == {a.id: a}
        assert {a.id, b.id} <= set(service.units_by_id(session))
        assert service.units_by_id(session, []) == {}


class TestListUnits:
    def test_active_only_leaves_out_retired_units(self, session: Session) -> None:
        retired = service.create_unit(session, code="T-OLD", name="撤销", kind="team", area_code="330108")
        retired.is_active = False
        session.flush()
        assert retired in service.list_units(session)
        active = service.list_units(session, active_only=True)
        assert retired not in active and active and all(u.is_active for u in active)
        assert [u.code for u in active] == sorted(u.code for u in active)
