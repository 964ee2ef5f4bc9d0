"""The sector clerk's page (快递网点、学校食堂、药店、河长 填报员): what a clerk can do in Pingan today.

The sector registers themselves (parcel real-name receipts, kitchen checks, drug batches, river patrols) are
not built yet; the page says so plainly and offers what works now: reporting a problem found at the outlet,
following one's own reports, and the area the account is granted on.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pingan.areas import service as areas
from pingan.cases import service as cases
from pingan.core.errors import NotFound
from pingan.core.security import Role
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import render, require_staff

router = APIRouter(include_in_schema=False)


@router.get("/clerk")
def clerk_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """What the clerk can do today, their own reports, and what is not available yet."""
    who = require_staff(actor, Role.SECTOR_CLERK)
    scopes = []
    for grant in who.grants_for((Role.SECTOR_CLERK,)):
        try:
            scopes.append((grant.area_code, areas.get_area(session, grant.area_code).name))
        except NotFound:
            scopes.append((grant.area_code, grant.area_code))
    items, _total = cases.list_cases(session, who, limit=20)
    own = [c for c in items if c.reporter_account_id == who.account_id]
    return render(request, "clerk.html", who, scopes=scopes, reports=own)
