"""The accounts package's public surface: accounts, role grants, tokens and their administration.

Other packages (and the import-linter contracts) name this module; the work lives in one file per job:
``account`` (create, authenticate with argon2, the Actor of an account), ``grants`` (roles on area scopes),
``tokens`` (bearer tokens, remembered actors, personal tokens, Open311 keys) and ``admin`` (the
``*_in_scope`` functions: the district_admin's versions for the API and CLI, scope-checked and audited,
on top of ``scope``).
"""

from __future__ import annotations

from pingan.accounts.account import (
    USERNAME_RE,
    actor_for,
    authenticate,
    create_account,
    demo_accounts,
    get_account,
    get_account_by_username,
    hash_password,
    list_accounts,
    set_active,
    set_phone,
)
from pingan.accounts.admin import (
    create_account_in_scope,
    grant_role_in_scope,
    list_accounts_in_scope,
    reveal_phone,
    revoke_grant_in_scope,
    revoke_role_in_scope,
    set_active_in_scope,
    set_password,
)
from pingan.accounts.grants import grant_role, revoke_role
from pingan.accounts.scope import ADMIN_ROLES, get_account_in_scope, home_area
from pingan.accounts.tokens import (
    ACCESS_TOKEN_TTL,
    ACTOR_CACHE_SECONDS,
    BEARER_KINDS,
    MAX_PERSONAL_TOKEN_DAYS,
    TOKEN_KINDS,
    TOUCH_EVERY,
    account_for_token,
    authenticate_actor,
    create_open311_key,
    create_personal_token,
    forget_actors,
    issue_token,
    list_account_tokens,
    list_own_tokens,
    purge_old_tokens,
    remembered_actor,
    revoke_account_token,
    revoke_own_token,
    revoke_token,
)

__all__ = [
    "ACCESS_TOKEN_TTL",
    "ACTOR_CACHE_SECONDS",
    "ADMIN_ROLES",
    "BEARER_KINDS",
    "MAX_PERSONAL_TOKEN_DAYS",
    "TOKEN_KINDS",
    "TOUCH_EVERY",
    "USERNAME_RE",
    "account_for_token",
    "actor_for",
    "authenticate",
    "authenticate_actor",
    "create_account",
    "create_account_in_scope",
    "create_open311_key",
    "create_personal_token",
    "demo_accounts",
    "forget_actors",
    "get_account",
    "get_account_by_username",
    "get_account_in_scope",
    "grant_role",
    "grant_role_in_scope",
    "hash_password",
    "home_area",
    "issue_token",
    "list_account_tokens",
    "list_accounts",
    "list_accounts_in_scope",
    "list_own_tokens",
    "purge_old_tokens",
    "remembered_actor",
    "reveal_phone",
    "revoke_account_token",
    "revoke_grant_in_scope",
    "revoke_own_token",
    "revoke_role",
    "revoke_role_in_scope",
    "revoke_token",
    "set_active",
    "set_active_in_scope",
    "set_password",
    "set_phone",
]
