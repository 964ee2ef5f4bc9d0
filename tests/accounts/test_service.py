from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.accounts import service
from pingan.accounts.models import ApiToken
from pingan.audit.models import AuditRecord
from pingan.core.clock import utcnow
from pingan.core.config import Settings
from pingan.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from pingan.core.pii import protector_for
from pingan.core.security import Actor, Role
from tests.factories import actor, make_account

XIXING = "330108001"
CHANGHE = "330108002"


def audits(session: Session, action: str) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


class TestAuthenticate:
    def test_no_lockout_repeated_failures_are_counted_and_audited(self, session: Session) -> None:
        make_account(session, "lockme", Role.GRID_WORKER, CHANGHE)
        now = utcnow()
        for _ in range(20):
            with pytest.raises(Unauthorized) as exc:
                service.authenticate(
                    session, username="lockme", password="wrong-one", now=now, client_ip="10.0.0.9"
                )
            assert exc.value.code == "bad_credentials"
        [delayed] = audits(session, "account.sign_in_delayed")
        assert delayed.username == "lockme" and delayed.client_ip == "10.0.0.9"
        account = service.authenticate(session, username="lockme", password="correct-horse", now=now)
        assert account.failed_logins == 0 and account.locked_until is None

    def test_unknown_name_fails_like_a_wrong_password(self, session: Session) -> None:
        with pytest.raises(Unauthorized) as exc:
            service.authenticate(session, username="no-such-user", password="wrong-one")
        assert exc.value.code == "bad_credentials" and exc.value.message == "wrong username or password"

    def test_disabled_account_cannot_sign_in(self, session: Session) -> None:
        account_id = make_account(session, "gone", Role.GRID_WORKER, CHANGHE)
        service.set_active(session, account_id=account_id, active=False)
        with pytest.raises(Unauthorized) as exc:
            service.authenticate(session, username="gone", password="correct-horse")
        assert exc.value.code == "disabled"


class TestAccountForToken:
    def test_open311_keys_are_not_bearer_tokens(self, session: Session) -> None:
        account_id = make_account(session, "partner", Role.RESIDENT, "330108")
        secret = service.issue_token(session, account_id=account_id, kind="open311", ttl=None)
        with pytest.raises(Unauthorized):
            service.account_for_token(session, secret)
        assert service.account_for_token(session, secret, kinds=("open311",)).id == account_id

    def test_bearer_tokens_are_not_open311_keys(self, session: Session) -> None:
        account_id = make_account(session, "plain", Role.RESIDENT, "330108")
        secret = service.issue_token(session, account_id=account_id)
        with pytest.raises(Unauthorized):
            service.account_for_token(session, secret, kinds=("open311",))

    def test_expired_and_revoked_tokens_fail(self, session: Session) -> None:
        account_id = make_account(session, "expiring", Role.RESIDENT, "330108")
        expired = service.issue_token(session, account_id=account_id, ttl=timedelta(seconds=-1))
        with pytest.raises(Unauthorized):
            service.account_for_token(session, expired)
        revoked = service.issue_token(session, account_id=account_id)
        service.revoke_token(session, revoked)
        with pytest.raises(Unauthorized):
            service.account_for_token(session, revoked)

    def test_records_last_use(self, session: Session) -> None:
        account_id = make_account(session, "user1", Role.RESIDENT, "330108")
        secret = service.issue_token(session, account_id=account_id)
        service.account_for_token(session, secret)
        token = session.scalar(select(ApiToken).where(ApiToken.account_id == account_id))
        assert token is not None and token.last_used_at is not None


class TestCreateAccountInScope:
    def test_admin_creates_in_scope_with_protected_phone(self, session: Session, settings: Settings) -> None:
        admin = actor(session, "admin")
        account = service.create_account_in_scope(
            session,
            admin,
            username="newbie",
            password="violet-harbour-lamp",
            role="grid_worker",
            area_code=CHANGHE,
            phone="+86 139-1234-5678",
            protector=protector_for(settings),
        )
        assert account.phone_masked == "139****5678"
        assert account.phone_enc is not None and b"13912345678" not in account.phone_enc
        assert protector_for(settings).decrypt(account.phone_enc) == "13912345678"
        [rec] = audits(session, "account.create")
        assert rec.username == "admin" and rec.area_code == CHANGHE and rec.subject_id == str(account.id)

    def test_street_admin_cannot_create_outside_scope(self, session: Session) -> None:
        make_account(session, "xixing_admin", Role.DISTRICT_ADMIN, XIXING)
        with pytest.raises(NotFound) as exc:
            service.create_account_in_scope(
                session,
                actor(session, "xixing_admin"),
                username="sneaky",
                password="violet-harbour-lamp",
                role="district_admin",
                area_code="330108",
            )
        assert exc.value.field == "area_code"

    def test_other_roles_are_refused(self, session: Session) -> None:
        with pytest.raises(Forbidden):
            service.create_account_in_scope(
                session,
                actor(session, "street"),
                username="x_y_z",
                password="violet-harbour-lamp",
                role="grid_worker",
                area_code=CHANGHE,
            )

    def test_bad_input_names_the_field(self, session: Session) -> None:
        admin = actor(session, "admin")
        for kwargs, field in (
            ({"role": "emperor", "area_code": CHANGHE}, "role"),
            ({"role": "grid_worker", "area_code": "999999"}, "area_code"),
            ({"role": "department_handler", "area_code": CHANGHE}, "unit_id"),
        ):
            with pytest.raises(ValidationFailed) as exc:
                service.create_account_in_scope(
                    session, admin, username="valid_name", password="violet-harbour-lamp", **kwargs
                )
            assert exc.value.field == field

    def test_bad_phone_is_refused(self, session: Session, settings: Settings) -> None:
        with pytest.raises(ValidationFailed) as exc:
            service.create_account_in_scope(
                session,
                actor(session, "admin"),
                username="phoney",
                password="violet-harbour-lamp",
                role="grid_worker",
                area_code=CHANGHE,
                phone="12345",
                protector=protector_for(settings),
            )
        assert exc.value.field == "phone"


class TestListAccountsInScope:
    def test_scoped_admin_sees_only_accounts_granted_in_scope(self, session: Session) -> None:
        make_account(session, "xixing_admin", Role.DISTRICT_ADMIN, XIXING)
        make_account(session, "xixing_worker", Role.GRID_WORKER, XIXING)
        rows, total = service.list_accounts_in_scope(session, actor(session, "xixing_admin"))
        names = {a.username for a in rows}
        assert {"xixing_admin", "xixing_worker"} <= names
        assert "street" not in names and "admin" not in names and total == len(rows)

    def test_district_admin_sees_everyone_and_filters(self, session: Session) -> None:
        rows, _total = service.list_accounts_in_scope(session, actor(session, "admin"), role="auditor")
        assert [a.username for a in rows] == ["auditor"]
        rows, _total = service.list_accounts_in_scope(session, actor(session, "admin"), q="GRID")
        assert [a.username for a in rows] == ["gridworker"]


class TestGetAccountInScope:
    def test_out_of_scope_is_not_found(self, session: Session) -> None:
        make_account(session, "xixing_admin", Role.DISTRICT_ADMIN, XIXING)
        street = service.get_account_by_username(session, "street")
        with pytest.raises(NotFound):
            service.get_account_in_scope(session, actor(session, "xixing_admin"), account_id=street.id)
        assert (
            service.get_account_in_scope(session, actor(session, "admin"), account_id=street.id).id
            == street.id
        )


class TestGrantAndRevokeInScope:
    def test_grant_then_revoke_are_audited(self, session: Session) -> None:
        admin = actor(session, "admin")
        account_id = make_account(session, "worker", Role.GRID_WORKER, CHANGHE)
        grant = service.grant_role_in_scope(
            session, admin, account_id=account_id, role="liaison_cadre", area_code=CHANGHE
        )
        assert Role.LIAISON_CADRE in service.actor_for(service.get_account(session, account_id)).roles
        service.revoke_grant_in_scope(session, admin, account_id=account_id, grant_id=grant.id)
        assert Role.LIAISON_CADRE not in service.actor_for(service.get_account(session, account_id)).roles
        assert len(audits(session, "role.grant")) == 1 and len(audits(session, "role.revoke")) == 1

    def test_cannot_grant_outside_own_scope(self, session: Session) -> None:
        make_account(session, "xixing_admin", Role.DISTRICT_ADMIN, XIXING)
        account_id = make_account(session, "worker", Role.GRID_WORKER, XIXING)
        with pytest.raises(NotFound):
            service.grant_role_in_scope(
                session,
                actor(session, "xixing_admin"),
                account_id=account_id,
                role="district_admin",
                area_code="330108",
            )

    def test_cannot_revoke_own_admin_grant(self, session: Session) -> None:
        admin = actor(session, "admin")
        account = service.get_account_by_username(session, "admin")
        with pytest.raises(Conflict):
            service.revoke_grant_in_scope(
                session, admin, account_id=account.id, grant_id=account.grants[0].id
            )

    def test_revoke_role_by_name(self, session: Session) -> None:
        account_id = make_account(session, "worker", Role.GRID_WORKER, CHANGHE)
        assert (
            service.revoke_role_in_scope(session, Actor.system(), account_id=account_id, role="grid_worker")
            == 1
        )
        assert service.get_account(session, account_id).grants == []


class TestSetActiveInScope:
    def test_disable_revokes_tokens_and_cannot_disable_self(self, session: Session) -> None:
        admin = actor(session, "admin")
        account_id = make_account(session, "worker", Role.GRID_WORKER, CHANGHE)
        secret = service.issue_token(session, account_id=account_id)
        service.set_active_in_scope(session, admin, account_id=account_id, active=False)
        with pytest.raises(Unauthorized):
            service.account_for_token(session, secret)
        with pytest.raises(Conflict):
            service.set_active_in_scope(session, admin, account_id=admin.account_id or 0, active=False)
        assert [r.action for r in audits(session, "account.disable")] == ["account.disable"]


class TestPersonalTokens:
    def test_mint_list_revoke(self, session: Session) -> None:
        me = actor(session, "gridworker")
        token, secret = service.create_personal_token(session, me, name="my script", days=30)
        assert service.account_for_token(session, secret).username == "gridworker"
        assert [t.id for t in service.list_own_tokens(session, me)] == [token.id]
        service.revoke_own_token(session, me, token_id=token.id)
        with pytest.raises(Unauthorized):
            service.account_for_token(session, secret)

    def test_cannot_revoke_someone_elses(self, session: Session) -> None:
        token, _secret = service.create_personal_token(session, actor(session, "street"), name="theirs")
        with pytest.raises(NotFound):
            service.revoke_own_token(session, actor(session, "gridworker"), token_id=token.id)

    def test_validates_name_and_days(self, session: Session) -> None:
        me = actor(session, "gridworker")
        with pytest.raises(ValidationFailed) as exc:
            service.create_personal_token(session, me, name=" ")
        assert exc.value.field == "name"
        with pytest.raises(ValidationFailed) as exc:
            service.create_personal_token(session, me, name="ok", days=1000)
        assert exc.value.field == "days"


class TestCreateOpen311Key:
    def test_key_authenticates_only_as_open311(self, session: Session) -> None:
        partner_id = make_account(session, "partner_app", Role.RESIDENT, "330108")
        token, secret = service.create_open311_key(
            session, actor(session, "admin"), account_id=partner_id, name="12345 hotline"
        )
        assert token.kind == "open311" and token.expires_at is None
        assert service.account_for_token(session, secret, kinds=("open311",)).id == partner_id


class TestPurgeOldTokens:
    def test_deletes_only_long_dead_tokens(self, session: Session) -> None:
        account_id = make_account(session, "old", Role.RESIDENT, "330108")
        service.issue_token(session, account_id=account_id, ttl=timedelta(days=-40))
        live = service.issue_token(session, account_id=account_id)
        assert service.purge_old_tokens(session, utcnow() - timedelta(days=30)) == 1
        assert service.account_for_token(session, live).id == account_id


class TestDemoAccounts:
    def test_lists_active_demo_accounts(self, session: Session) -> None:
        names = service.demo_accounts(session)
        assert "admin" in names and "auditor" in names
        service.set_active(
            session, account_id=service.get_account_by_username(session, "admin").id, active=False
        )
        assert "admin" not in service.demo_accounts(session)


class TestRememberedActors:
    """The intake's hot path remembers a token's actor for a few seconds; any change forgets it."""

    def test_revoking_or_disabling_takes_effect_at_once(self, client, session) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
        from tests.cases.helpers import point_in
        from tests.factories import token_for

        lon, lat = point_in(session)
        token = token_for(session, "gridworker")
        headers = {"Authorization": f"Bearer {token}"}
        body = {"category_code": "0102", "description": "remembered", "lon": lon, "lat": lat, "source": "app"}
        assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 201
        assert service.remembered_actor(session.get_bind().engine, token) is not None
        service.revoke_token(session, token)
        session.commit()
        assert service.remembered_actor(session.get_bind().engine, token) is None
        assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 401

        other = token_for(session, "gridworker")
        headers = {"Authorization": f"Bearer {other}"}
        assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 201
        account = service.get_account_by_username(session, "gridworker")
        service.set_active(session, account_id=account.id, active=False)
        session.commit()
        assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 401

    def test_noting_a_tokens_use_forgets_nothing(self, session) -> None:  # type: ignore[no-untyped-def]
        from tests.factories import token_for

        token = token_for(session, "gridworker")
        session.commit()  # the new token itself is a change: it forgets what was remembered
        actor = service.authenticate_actor(session, token)  # notes the token's first use
        session.commit()
        assert service.remembered_actor(session.get_bind().engine, token) == actor
