"""Shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from pingan.accounts.models import Account, ApiToken
from pingan.core.clock import as_utc
from pingan.core.pagination import Page


class AccessToken(BaseModel):
    """The OAuth2 password flow's answer."""

    access_token: str
    token_type: str = Field(description="always bearer")
    expires_in: int = Field(description="seconds the token stays valid")


class MyGrant(BaseModel):
    role: str
    area_code: str | None
    unit_id: int | None


class MeRead(BaseModel):
    """The signed-in account and its role grants."""

    id: int | None
    username: str
    display_name: str
    grants: list[MyGrant]


class GrantRead(BaseModel):
    id: int
    role: str
    area_code: str
    unit_id: int | None


class GrantCreate(BaseModel):
    role: str = Field(description="district_admin, street_operator, department_handler, grid_worker, …")
    area_code: str = Field(description="the area the role applies to (inside your scope)")
    unit_id: int | None = Field(None, description="the unit of a department handler")


class AccountRead(BaseModel):
    id: int
    username: str
    display_name: str
    is_active: bool
    is_demo: bool
    is_locked: bool
    phone: str = Field(description="masked contact phone; reveal with a reason for the full number")
    created_at: datetime
    last_login_at: datetime | None
    grants: list[GrantRead]

    @classmethod
    def of(cls, account: Account, *, now: datetime) -> AccountRead:
        return cls(
            id=account.id,
            username=account.username,
            display_name=account.display_name,
            is_active=account.is_active,
            is_demo=account.is_demo,
            is_locked=account.locked_until is not None and as_utc(account.locked_until) > now,
            phone=account.phone_masked or "",
            created_at=account.created_at,
            last_login_at=account.last_login_at,
            grants=[
                GrantRead(id=g.id, role=g.role, area_code=g.area_code, unit_id=g.unit_id)
                for g in account.grants
            ],
        )


class AccountPage(Page[AccountRead]):
    """One page of accounts (the one list envelope)."""


class AccountCreate(BaseModel):
    username: str
    password: str = Field(
        description="at least 8 characters and not guessable: common passwords and ones built from the "
        "username or name are refused (zxcvbn score 3 or more)"
    )
    display_name: str = ""
    role: str
    area_code: str
    unit_id: int | None = None
    phone: str | None = Field(None, description="contact phone, stored encrypted")


class PasswordSet(BaseModel):
    password: str = Field(description="the new password (same rule as at creation)")


class TokenCreate(BaseModel):
    name: str = Field(description="what the token is for, e.g. the script using it")
    days: int | None = Field(90, description="lifetime in days (1–366); null = until revoked")


class Open311KeyCreate(BaseModel):
    name: str = Field(description="the partner app using the key")


class TokenRead(BaseModel):
    id: int
    name: str
    kind: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenRead:
        return cls(
            id=token.id,
            name=token.name,
            kind=token.kind,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class TokenIssued(TokenRead):
    token: str = Field(description="the secret; shown only now")
