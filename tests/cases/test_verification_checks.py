"""Module-declared verification checks (``Module.verification_checks``): the spine asks them before it lets a
case of their categories be verified (核查), and refuses with 409 ``verification_required`` and the reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pingan.cases import hooks, workflow
from pingan.cases.models import Case
from pingan.core.errors import Conflict
from pingan.core.modules import Module, VerificationCheck
from pingan.core.security import Actor
from tests.cases.helpers import point_in

SYSTEM = Actor.system("test")
VERDICT: dict[str, str | None] = {"reason": "the re-inspection has not passed"}


def check(_session: Session, _case: Any) -> str | None:
    return VERDICT["reason"]


def _handled(session: Session) -> Case:
    lon, lat = point_in(session)
    case = workflow.raise_case(
        session, SYSTEM, category_code="0102", description="垃圾堆放多日", source="system", lon=lon, lat=lat
    )
    for action in ("register", "dispatch", "handle"):
        if action == "register" and case.state != "reported":
            continue
        workflow.transition(session, SYSTEM, case_id=case.id, action=action, note="done")
    return case


@pytest.fixture
def declared(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    module = Module(
        name="checker",
        title_zh="核查",
        title_en="Checker",
        verification_checks=(VerificationCheck(("0102",), f"{__name__}:check"),),
    )
    monkeypatch.setattr("pingan.core.modules.resolve", lambda _wanted, available=None: [module])
    hooks._checks_by_category.cache_clear()
    yield
    hooks._checks_by_category.cache_clear()


class TestVerificationChecks:
    def test_a_failing_check_refuses_verification(self, session: Session, declared: None) -> None:
        case = _handled(session)
        VERDICT["reason"] = "the re-inspection has not passed"
        with pytest.raises(Conflict) as refused:
            workflow.transition(session, SYSTEM, case_id=case.id, action="verify")
        assert refused.value.code == "verification_required"
        assert "re-inspection" in refused.value.message and case.state == "handled"

    def test_a_passing_check_lets_it_through(self, session: Session, declared: None) -> None:
        case = _handled(session)
        VERDICT["reason"] = None
        assert workflow.transition(session, SYSTEM, case_id=case.id, action="verify").state == "verified"

    def test_categories_without_checks_are_untouched(self, session: Session) -> None:
        hooks._checks_by_category.cache_clear()
        assert hooks.verification_checks("cases", "0102") == ()
