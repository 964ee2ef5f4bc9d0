"""cases.interface is what modules above the spine may use of cases (import-linter keeps them to it): each
name is the cases service's own function, so the rules, scope checks and audit stay in one place."""

from pingan.cases import interface, live, service, timeline, workflow


class TestInterface:
    def test_each_name_is_the_spine_s_own_function(self) -> None:
        assert interface.raise_case is service.raise_case
        assert interface.get_case is service.get_case
        assert interface.add_event is timeline.add_event is service.add_event
        assert interface.queue_message is live.queue_message
        assert interface.transition is workflow.transition
        assert interface.allowed_actions is workflow.allowed_actions

    def test_exports_exactly_the_supported_surface(self) -> None:
        assert sorted(interface.__all__) == [
            "Case",
            "OPEN_STATES",
            "add_event",
            "allowed_actions",
            "get_case",
            "queue_message",
            "raise_case",
            "run_leased",
            "transition",
        ]
