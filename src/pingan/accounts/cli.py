"""``pingan user …`` and ``pingan keys new``: accounts, role grants, tokens and key material from the shell.

The CLI acts as the system actor named ``cli:<os user>``; every change is written to the audit trail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from pingan.audit.cli import DbOption, cli_actor, db_session
from pingan.core.errors import PinganError

if TYPE_CHECKING:  # heavy modules are imported inside the commands: `pingan --help` stays fast
    from sqlalchemy.orm import Session

    from pingan.core.pii import Protector

user_app = typer.Typer(
    help="Accounts: create, list, disable, grant and revoke roles, mint tokens.", no_args_is_help=True
)
keys_app = typer.Typer(help="Key material for personal-data encryption.", no_args_is_help=True)

console = Console()
err = Console(stderr=True)

# the values of core.security.Role (tests/test_cli.py checks that they agree; importing Role here would load
# SQLAlchemy for every `pingan --help`)
ROLE_HELP = (
    "district_admin, street_operator, department_handler, grid_worker, liaison_cadre, patrol_volunteer, "
    "sector_clerk, resident, auditor"
)


def cli_protector() -> Protector:
    from pingan.core.errors import PinganError
    from pingan.core.pii import get_protector

    try:
        return get_protector()
    except PinganError as exc:
        err.print(f"[bold red]error[/]: {escape(str(exc))}")
        raise typer.Exit(code=2) from None


def _unit_id(session: Session, unit: str | None) -> int | None:
    if not unit:
        return None
    from pingan.units.service import get_unit_by_code

    try:
        return get_unit_by_code(session, unit).id
    except PinganError:
        raise PinganError(f"no unit with code {unit}", field="unit", status=422) from None


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option(help=f"first role: {ROLE_HELP}")],
    area: Annotated[str, typer.Option(help="area code the role applies to, e.g. 330108002")],
    unit: Annotated[
        str | None, typer.Option(help="unit code of a department handler, e.g. 330108-CG")
    ] = None,
    display_name: Annotated[str, typer.Option(help="name shown in the UI")] = "",
    phone: Annotated[str | None, typer.Option(help="contact phone (stored encrypted)")] = None,
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="prompted when omitted"),
    ] = "",
    db: DbOption = None,
) -> None:
    """Create an account with its first role on an area."""
    from pingan.accounts import service

    protector = cli_protector() if phone else None
    with db_session(db) as session:
        account = service.create_account_in_scope(
            session,
            cli_actor(),
            username=username,
            password=password,
            role=role,
            area_code=area,
            unit_id=_unit_id(session, unit),
            display_name=display_name,
            phone=phone,
            protector=protector,
        )
        console.print(f"created account {account.username} (id {account.id}) as {role} on {area}")


@user_app.command("password")
def user_password(
    username: str,
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="prompted when omitted"),
    ] = "",
    db: DbOption = None,
) -> None:
    """Set a new password (refused when common or built from the account's names); signs the account out."""
    from pingan.accounts import service

    with db_session(db) as session:
        account = service.get_account_by_username(session, username)
        service.set_password(session, cli_actor(), account_id=account.id, password=password)
        console.print(f"new password set for {username}; its tokens and sessions were revoked")


@user_app.command("list")
def user_list(
    role: Annotated[str | None, typer.Option(help="only accounts holding this role")] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="only disabled accounts")] = False,
    db: DbOption = None,
) -> None:
    """List accounts with their grants."""
    from rich.table import Table

    from pingan.accounts import service

    with db_session(db) as session:
        rows, total = service.list_accounts_in_scope(
            session, cli_actor(), role=role, active=False if disabled else None, limit=500
        )
        table = Table(title=f"{total} accounts" + (" (first 500)" if total > 500 else ""))
        for column in ("id", "username", "name", "active", "demo", "phone", "grants"):
            table.add_column(column)
        for a in rows:
            grants = ", ".join(
                f"{g.role}@{g.area_code}" + (f"/unit {g.unit_id}" if g.unit_id else "") for g in a.grants
            )
            table.add_row(
                str(a.id),
                escape(a.username),
                escape(a.display_name),
                "yes" if a.is_active else "no",
                "yes" if a.is_demo else "",
                a.phone_masked or "",
                escape(grants),
            )
        console.print(table)


@user_app.command("disable")
def user_disable(usernames: list[str], db: DbOption = None) -> None:
    """Disable accounts (their tokens are revoked at once)."""
    from pingan.accounts import service

    with db_session(db) as session:
        for username in usernames:
            account = service.get_account_by_username(session, username)
            service.set_active_in_scope(session, cli_actor(), account_id=account.id, active=False)
            console.print(f"disabled {username}")


@user_app.command("enable")
def user_enable(usernames: list[str], db: DbOption = None) -> None:
    """Re-enable (and unlock) accounts."""
    from pingan.accounts import service

    with db_session(db) as session:
        for username in usernames:
            account = service.get_account_by_username(session, username)
            service.set_active_in_scope(session, cli_actor(), account_id=account.id, active=True)
            console.print(f"enabled {username}")


@user_app.command("grant")
def user_grant(
    username: str,
    role: Annotated[str, typer.Argument(help=ROLE_HELP)],
    area: Annotated[str, typer.Argument(help="area code")],
    unit: Annotated[str | None, typer.Option(help="unit code of a department handler")] = None,
    db: DbOption = None,
) -> None:
    """Grant a role on an area."""
    from pingan.accounts import service

    with db_session(db) as session:
        account = service.get_account_by_username(session, username)
        service.grant_role_in_scope(
            session,
            cli_actor(),
            account_id=account.id,
            role=role,
            area_code=area,
            unit_id=_unit_id(session, unit),
        )
        console.print(f"granted {role} on {area} to {username}")


@user_app.command("revoke")
def user_revoke(
    username: str,
    role: Annotated[str, typer.Argument(help=ROLE_HELP)],
    area: Annotated[
        str | None, typer.Option(help="only the grant on this area (default: all of the role)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Revoke a role (on one area, or everywhere)."""
    from pingan.accounts import service

    with db_session(db) as session:
        account = service.get_account_by_username(session, username)
        n = service.revoke_role_in_scope(
            session, cli_actor(), account_id=account.id, role=role, area_code=area
        )
        if not n:
            err.print(f"{username} holds no {role} grant" + (f" on {area}" if area else ""))
            raise typer.Exit(code=1)
        console.print(f"revoked {n} {role} grant(s) of {username}")


@user_app.command("token")
def user_token(
    username: str,
    name: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    days: Annotated[int, typer.Option(help="lifetime in days (0 = until revoked)")] = 90,
    open311: Annotated[bool, typer.Option("--open311", help="an Open311 api_key for a partner app")] = False,
    db: DbOption = None,
) -> None:
    """Mint a personal API token (or an Open311 api_key); the secret is printed once."""
    from pingan.accounts import service

    with db_session(db) as session:
        account = service.get_account_by_username(session, username)
        if open311:
            _token, secret = service.create_open311_key(
                session, cli_actor(), account_id=account.id, name=name
            )
        else:
            _token, secret = service.create_personal_token(
                session, cli_actor(), name=name, days=days or None, account_id=account.id
            )
    kind = "Open311 api_key" if open311 else "personal token"
    err.print(f"{kind} for {username} (shown once):")
    console.print(secret)


@keys_app.command("new")
def keys_new() -> None:
    """Print a new personal-data key (prepend it to PINGAN_PII_KEY to rotate)."""
    from pingan.core.pii import Protector

    console.print(Protector.new_key())
