from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.accounts.throttle import LoginGuard
from pingan.core.security import Role
from tests.factories import auth, make_account

CHANGHE = "330108002"


class TestListAccounts:
    def test_admin_pages_through_accounts(self, client: TestClient, session: Session) -> None:
        r = client.get("/api/v1/accounts", params={"limit": 2}, headers=auth(session, "admin"))
        body = r.json()
        assert r.status_code == 200 and len(body["items"]) == 2 and body["total"] >= 9
        assert {"username", "grants", "phone", "is_locked"} <= set(body["items"][0])

    def test_bad_limit_names_the_field(self, client: TestClient, session: Session) -> None:
        r = client.get("/api/v1/accounts", params={"limit": 0}, headers=auth(session, "admin"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "limit"


class TestCreateAccount:
    def test_created_account_can_sign_in_and_phone_is_masked(
        self, client: TestClient, session: Session
    ) -> None:
        body = {
            "username": "zhang_wei",
            "password": "violet-harbour-lamp",
            "role": "grid_worker",
            "area_code": CHANGHE,
            "phone": "13812345678",
        }
        r = client.post("/api/v1/accounts", json=body, headers=auth(session, "admin"))
        assert r.status_code == 201, r.text
        assert r.json()["phone"] == "138****5678" and "13812345678" not in r.text
        login = client.post(
            "/api/v1/auth/token", data={"username": "zhang_wei", "password": "violet-harbour-lamp"}
        )
        assert login.status_code == 200

    def test_duplicate_username_is_conflict(self, client: TestClient, session: Session) -> None:
        body = {
            "username": "street",
            "password": "violet-harbour-lamp",
            "role": "grid_worker",
            "area_code": CHANGHE,
        }
        r = client.post("/api/v1/accounts", json=body, headers=auth(session, "admin"))
        assert r.status_code == 409 and r.json()["error"]["field"] == "username"

    def test_short_password_is_422(self, client: TestClient, session: Session) -> None:
        body = {"username": "shorty", "password": "short", "role": "grid_worker", "area_code": CHANGHE}
        r = client.post("/api/v1/accounts", json=body, headers=auth(session, "admin"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "password"


class TestGrantsAndDisable:
    def test_grant_revoke_disable_enable(self, client: TestClient, session: Session) -> None:
        headers = auth(session, "admin")
        account_id = make_account(session, "worker", Role.GRID_WORKER, CHANGHE)
        r = client.post(
            f"/api/v1/accounts/{account_id}/grants",
            json={"role": "liaison_cadre", "area_code": CHANGHE},
            headers=headers,
        )
        assert r.status_code == 201
        grant_id = r.json()["id"]
        assert (
            client.delete(f"/api/v1/accounts/{account_id}/grants/{grant_id}", headers=headers).status_code
            == 204
        )
        assert (
            client.post(f"/api/v1/accounts/{account_id}/disable", headers=headers).json()["is_active"]
            is False
        )
        assert (
            client.post(f"/api/v1/accounts/{account_id}/enable", headers=headers).json()["is_active"] is True
        )
        actions = [
            rec["action"]
            for rec in client.get(
                "/api/v1/audit",
                params={"subject_type": "account", "subject_id": str(account_id)},
                headers=auth(session, "auditor"),
            ).json()["items"]
        ]
        assert actions == ["account.enable", "account.disable", "role.revoke", "role.grant"]


class TestMyTokens:
    def test_personal_token_works_as_bearer_and_can_be_revoked(
        self, client: TestClient, session: Session
    ) -> None:
        headers = auth(session, "gridworker")
        r = client.post(
            "/api/v1/accounts/me/tokens", json={"name": "sync script", "days": 7}, headers=headers
        )
        assert r.status_code == 201
        issued = r.json()
        token_headers = {"Authorization": f"Bearer {issued['token']}"}
        assert client.get("/api/v1/auth/me", headers=token_headers).json()["username"] == "gridworker"
        listed = client.get("/api/v1/accounts/me/tokens", headers=headers).json()
        assert [t["id"] for t in listed] == [issued["id"]] and "token" not in listed[0]
        assert client.delete(f"/api/v1/accounts/me/tokens/{issued['id']}", headers=headers).status_code == 204
        assert client.get("/api/v1/auth/me", headers=token_headers).status_code == 401


class TestOpen311Keys:
    def test_key_is_not_a_bearer_token(self, client: TestClient, session: Session) -> None:
        partner = make_account(session, "hotline_app", Role.RESIDENT, "330108")
        r = client.post(
            f"/api/v1/accounts/{partner}/open311-keys", json={"name": "12345"}, headers=auth(session, "admin")
        )
        assert r.status_code == 201 and r.json()["kind"] == "open311"
        bearer = {"Authorization": f"Bearer {r.json()['token']}"}
        assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401


class TestLogin:
    def test_no_lockout_through_the_api(self, client: TestClient, session: Session) -> None:
        make_account(session, "target", Role.GRID_WORKER, CHANGHE)
        for _ in range(5):
            r = client.post("/api/v1/auth/token", data={"username": "target", "password": "guess-guess"})
            assert r.status_code in (401, 429) and r.json()["error"]["code"] != "locked"
        client.app.state.login_guard = LoginGuard()  # the delays have passed
        r = client.post("/api/v1/auth/token", data={"username": "target", "password": "correct-horse"})
        assert r.status_code == 200

    def test_login_is_rate_limited(self, client: TestClient) -> None:
        client.app.state.login_guard = LoginGuard(clock=lambda: 100.0)  # type: ignore[attr-defined]
        codes = [
            client.post(
                "/api/v1/auth/token", data={"username": "nobody", "password": "whatever1"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        r = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "whatever1"})
        assert int(r.headers["Retry-After"]) >= 1 and r.json()["error"]["code"] == "rate_limited"
