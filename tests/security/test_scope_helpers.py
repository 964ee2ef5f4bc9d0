from pingan.core.security import Actor, Grant, Role


class TestHasDistrictScope:
    def test_only_district_wide_grants(self) -> None:
        assert Actor(1, "a", (Grant(Role.AUDITOR, "330108"),)).has_district_scope([Role.AUDITOR])
        assert not Actor(1, "a", (Grant(Role.AUDITOR, "330108001"),)).has_district_scope([Role.AUDITOR])
        assert not Actor(1, "a", (Grant(Role.GRID_WORKER, "330108"),)).has_district_scope([Role.AUDITOR])
        assert Actor.system().has_district_scope()


class TestScopedTo:
    def test_sees_only_inside_the_area(self) -> None:
        probe = Actor.scoped_to("330108002")
        assert probe.can_see_area("33010800200101") and not probe.can_see_area("330108001")
