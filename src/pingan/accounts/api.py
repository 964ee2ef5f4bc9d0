"""Sign-in for API clients (OAuth2 password flow → bearer token), personal tokens, and account administration.

Administration (``/api/v1/accounts``) needs the district_admin role and sees only accounts holding a grant
inside the administrator's area scope; everything else is 404. Every change is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordRequestForm

from pingan.accounts import service
from pingan.accounts.schemas import (
    AccessToken,
    AccountCreate,
    AccountPage,
    AccountRead,
    GrantCreate,
    GrantRead,
    MeRead,
    Open311KeyCreate,
    PasswordSet,
    TokenCreate,
    TokenIssued,
    TokenRead,
)
from pingan.audit.schemas import RevealRequest
from pingan.core.clock import utcnow
from pingan.core.errors import Unauthorized, ValidationFailed
from pingan.core.pagination import Limit, Offset
from pingan.core.validation import DbId
from pingan.web.deps import CurrentActor, DbSession, client_ip
from pingan.web.middleware import AppProtector, check_sign_in, note_sign_in

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
accounts_router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])


@router.post(
    "/token",
    response_model=AccessToken,
    summary="OAuth2 password flow: exchange username and password for a bearer token",
    description="Limited like the web sign-in (per client address and per account name; 429 with "
    "Retry-After), with growing delays after consecutive failures.",
)
def login(
    request: Request, session: DbSession, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> dict[str, Any]:
    check_sign_in(request, form.username)
    try:
        account = service.authenticate(
            session, username=form.username, password=form.password, client_ip=client_ip(request)
        )
    except Unauthorized as exc:
        note_sign_in(request, form.username, ok=exc.code != "bad_credentials")
        session.commit()  # the failure count must outlive the refused request
        raise
    note_sign_in(request, form.username, ok=True)
    token = service.issue_token(session, account_id=account.id)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(service.ACCESS_TOKEN_TTL.total_seconds()),
    }


@router.get("/me", response_model=MeRead, summary="The signed-in account and its role grants")
def me(actor: CurrentActor) -> dict[str, Any]:
    return {
        "id": actor.account_id,
        "username": actor.username,
        "display_name": actor.display_name,
        "grants": [
            {"role": g.role.value, "area_code": g.area_code, "unit_id": g.unit_id} for g in actor.grants
        ],
    }


@router.post("/logout", status_code=204, summary="Revoke the bearer token used for this request")
def logout(
    session: DbSession,
    actor: CurrentActor,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))],
) -> None:
    if credentials is not None:
        service.revoke_token(session, credentials.credentials)


# --- the signed-in account's own tokens (declared before /{account_id}) --------------------------------


@accounts_router.get("/me/tokens", response_model=list[TokenRead], summary="My personal tokens and keys")
def list_my_tokens(session: DbSession, actor: CurrentActor) -> list[TokenRead]:
    return [TokenRead.of(t) for t in service.list_own_tokens(session, actor)]


@accounts_router.post(
    "/me/tokens",
    response_model=TokenIssued,
    status_code=201,
    summary="Mint a personal API token (shown once)",
)
def create_my_token(session: DbSession, actor: CurrentActor, body: TokenCreate) -> TokenIssued:
    token, secret = service.create_personal_token(session, actor, name=body.name, days=body.days)
    return TokenIssued(**TokenRead.of(token).model_dump(), token=secret)


@accounts_router.delete("/me/tokens/{token_id}", status_code=204, summary="Revoke one of my tokens")
def revoke_my_token(session: DbSession, actor: CurrentActor, token_id: DbId) -> None:
    service.revoke_own_token(session, actor, token_id=token_id)


# --- administration -----------------------------------------------------------------------------------


@accounts_router.get("", response_model=AccountPage, summary="Accounts in my scope (district_admin)")
def list_accounts(
    session: DbSession,
    actor: CurrentActor,
    q: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AccountPage:
    rows, total = service.list_accounts_in_scope(
        session, actor, q=q, role=role, active=active, limit=limit, offset=offset
    )
    now = utcnow()
    return AccountPage(
        items=[AccountRead.of(a, now=now) for a in rows], total=total, limit=limit, offset=offset
    )


@accounts_router.post(
    "", response_model=AccountRead, status_code=201, summary="Create an account with a role"
)
def create_account(
    session: DbSession, actor: CurrentActor, protector: AppProtector, body: AccountCreate
) -> AccountRead:
    account = service.create_account_in_scope(
        session,
        actor,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        role=body.role,
        area_code=body.area_code,
        unit_id=body.unit_id,
        phone=body.phone,
        protector=protector,
    )
    return AccountRead.of(account, now=utcnow())


@accounts_router.get("/{account_id}", response_model=AccountRead, summary="One account in my scope")
def read_account(session: DbSession, actor: CurrentActor, account_id: DbId) -> AccountRead:
    return AccountRead.of(service.get_account_in_scope(session, actor, account_id=account_id), now=utcnow())


@accounts_router.post(
    "/{account_id}/password", response_model=AccountRead, summary="Set a new password (signs the account out)"
)
def set_password(session: DbSession, actor: CurrentActor, account_id: DbId, body: PasswordSet) -> AccountRead:
    account = service.set_password(session, actor, account_id=account_id, password=body.password)
    return AccountRead.of(account, now=utcnow())


@accounts_router.post("/{account_id}/disable", response_model=AccountRead, summary="Disable (revokes tokens)")
def disable_account(session: DbSession, actor: CurrentActor, account_id: DbId) -> AccountRead:
    account = service.set_active_in_scope(session, actor, account_id=account_id, active=False)
    return AccountRead.of(account, now=utcnow())


@accounts_router.post("/{account_id}/enable", response_model=AccountRead, summary="Re-enable (and unlock)")
def enable_account(session: DbSession, actor: CurrentActor, account_id: DbId) -> AccountRead:
    account = service.set_active_in_scope(session, actor, account_id=account_id, active=True)
    return AccountRead.of(account, now=utcnow())


@accounts_router.post(
    "/{account_id}/grants", response_model=GrantRead, status_code=201, summary="Grant a role on an area"
)
def grant_role(session: DbSession, actor: CurrentActor, account_id: DbId, body: GrantCreate) -> GrantRead:
    grant = service.grant_role_in_scope(
        session, actor, account_id=account_id, role=body.role, area_code=body.area_code, unit_id=body.unit_id
    )
    return GrantRead(id=grant.id, role=grant.role, area_code=grant.area_code, unit_id=grant.unit_id)


@accounts_router.delete("/{account_id}/grants/{grant_id}", status_code=204, summary="Revoke one grant")
def revoke_grant(session: DbSession, actor: CurrentActor, account_id: DbId, grant_id: DbId) -> None:
    service.revoke_grant_in_scope(session, actor, account_id=account_id, grant_id=grant_id)


@accounts_router.post(
    "/{account_id}/reveal", summary="Show the contact phone in full (purpose and reason; audited)"
)
def reveal(
    session: DbSession, actor: CurrentActor, protector: AppProtector, account_id: DbId, body: RevealRequest
) -> dict[str, str]:
    if body.fields != ["phone"]:
        raise ValidationFailed("fields: only phone can be revealed on an account", field="fields")
    value = service.reveal_phone(
        session, actor, account_id=account_id, purpose=body.purpose, reason=body.reason, protector=protector
    )
    return {"phone": value}


@accounts_router.get("/{account_id}/tokens", response_model=list[TokenRead], summary="An account's tokens")
def list_account_tokens(session: DbSession, actor: CurrentActor, account_id: DbId) -> list[TokenRead]:
    return [TokenRead.of(t) for t in service.list_account_tokens(session, actor, account_id=account_id)]


@accounts_router.post(
    "/{account_id}/open311-keys",
    response_model=TokenIssued,
    status_code=201,
    summary="Issue an Open311 api_key for a partner app acting as this account (shown once)",
)
def create_open311_key(
    session: DbSession, actor: CurrentActor, account_id: DbId, body: Open311KeyCreate
) -> TokenIssued:
    token, secret = service.create_open311_key(session, actor, account_id=account_id, name=body.name)
    return TokenIssued(**TokenRead.of(token).model_dump(), token=secret)


@accounts_router.delete(
    "/{account_id}/tokens/{token_id}", status_code=204, summary="Revoke an account's token or key"
)
def revoke_account_token(session: DbSession, actor: CurrentActor, account_id: DbId, token_id: DbId) -> None:
    service.revoke_account_token(session, actor, account_id=account_id, token_id=token_id)
