"""The password rule (issue 14): common and context-derived passwords are refused everywhere a password is
set — the service, the accounts API, ``pingan user create`` and ``pingan user password``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.accounts import service
from pingan.accounts.passwords import DEMO_PASSWORD, check_password
from pingan.core.errors import ValidationFailed
from pingan.core.security import Actor, Role
from tests.factories import auth, make_account

CHANGHE = "330108002"
WEAK = ["password", "12345678", " " * 8, "pingan2026", "qwertyuiop", "11111111"]


class TestCheckPassword:
    @pytest.mark.parametrize("password", WEAK)
    def test_common_passwords_are_refused(self, password: str) -> None:
        with pytest.raises(ValidationFailed) as exc:
            check_password(password, username="someone")
        assert exc.value.field == "password"

    def test_the_username_or_name_is_refused(self) -> None:
        for password in ("wangxiaoming", "Wangxiaoming1", "xiaoming.wang"):
            with pytest.raises(ValidationFailed):
                check_password(password, username="xiaoming.wang", display_name="wangxiaoming")

    def test_a_phrase_is_accepted(self) -> None:
        check_password("violet-harbour-lamp", username="chen")
        check_password("correct horse battery staple", username="chen")

    def test_demo_password_only_for_demo_accounts(self) -> None:
        check_password(DEMO_PASSWORD, username="admin", is_demo=True)
        with pytest.raises(ValidationFailed):
            check_password(DEMO_PASSWORD, username="admin")


class TestWherePasswordsAreSet:
    def test_create_account(self, session: Session) -> None:
        with pytest.raises(ValidationFailed):
            service.create_account(session, username="weakling", password="password")
        with pytest.raises(ValidationFailed):
            service.create_account(session, username="samename1", password="samename1")

    def test_accounts_api(self, client: TestClient, session: Session) -> None:
        body = {"username": "apiuser", "password": "12345678", "role": "grid_worker", "area_code": CHANGHE}
        r = client.post("/api/v1/accounts", json=body, headers=auth(session, "admin"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "password"
        body["password"] = "violet-harbour-lamp"
        assert client.post("/api/v1/accounts", json=body, headers=auth(session, "admin")).status_code == 201

    def test_password_change_through_the_api(self, client: TestClient, session: Session) -> None:
        account_id = make_account(session, "changer", Role.GRID_WORKER, CHANGHE)
        url = f"/api/v1/accounts/{account_id}/password"
        r = client.post(url, json={"password": "changer1"}, headers=auth(session, "admin"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "password"
        r = client.post(url, json={"password": "amber-window-quietly"}, headers=auth(session, "admin"))
        assert r.status_code == 200
        r = client.post(
            "/api/v1/auth/token", data={"username": "changer", "password": "amber-window-quietly"}
        )
        assert r.status_code == 200

    def test_set_password_revokes_tokens(self, session: Session) -> None:
        account_id = make_account(session, "revokee", Role.GRID_WORKER, CHANGHE)
        token = service.issue_token(session, account_id=account_id)
        service.set_password(session, Actor.system(), account_id=account_id, password="amber-window-quietly")
        with pytest.raises(Exception):  # noqa: B017 - Unauthorized
            service.account_for_token(session, token)
