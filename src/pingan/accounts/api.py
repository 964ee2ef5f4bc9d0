"""Sign-in for API clients: OAuth2 password flow → bearer token; who am I; sign out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordRequestForm

from pingan.accounts import service
from pingan.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", summary="OAuth2 password flow: exchange username and password for a bearer token")
def login(session: DbSession, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, Any]:
    account = service.authenticate(session, username=form.username, password=form.password)
    token = service.issue_token(session, account_id=account.id)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(service.ACCESS_TOKEN_TTL.total_seconds()),
    }


@router.get("/me", summary="The signed-in account and its role grants")
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
