"""Residents' opinions and suggestions (民意): collected or submitted, tagged, answered, made a case."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Select, cast, select
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from pingan.cases.interface import raise_case
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, Role, in_scope, require_role
from pingan.grids.common import (
    READ_ROLES,
    check_read,
    check_write,
    clean_text,
    grid_of_point,
    visible_grids,
)
from pingan.grids.households import get_household
from pingan.grids.models import Opinion, OpinionState

COLLECT_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER, Role.LIAISON_CADRE)
ANSWER_ROLES = COLLECT_ROLES
MAX_TAGS = 10


def _tags(tags: Sequence[str], field: str = "tags") -> list[str]:
    out = sorted({clean_text(t, field=field, max_len=20) for t in tags if t and str(t).strip()})
    if len(out) > MAX_TAGS:
        raise ValidationFailed(f"at most {MAX_TAGS} tags", field=field)
    return out


def submit_opinion(
    session: Session,
    actor: Actor,
    *,
    content: str,
    tags: Sequence[str] = (),
    household_id: int | None = None,
    visit_id: int | None = None,
    area_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    field_prefix: str = "",
) -> Opinion:
    """Record an opinion: staff collect it for a household or grid; a resident submits it with a point."""
    content = clean_text(content, field=f"{field_prefix}content", max_len=4000)
    tag_list = _tags(tags, f"{field_prefix}tags")
    wlon = wlat = None
    if actor.has_role(*COLLECT_ROLES):
        channel = (
            "cadre"
            if actor.has_role(Role.LIAISON_CADRE) and not actor.has_role(Role.GRID_WORKER)
            else "grid_worker"
        )
        if household_id is not None:
            grid = get_household(session, actor, household_id).area_code
        elif lon is not None and lat is not None:
            grid, wlon, wlat = grid_of_point(session, lon=lon, lat=lat, crs=crs, expected=area_code)
        elif area_code is not None:
            grid = area_code
        else:
            raise ValidationFailed(
                "give the household, a point or the grid", field=f"{field_prefix}household_id"
            )
        check_write(actor, grid, what="grid", roles=COLLECT_ROLES)
    elif actor.has_role(Role.RESIDENT):
        channel = "resident"
        if lon is None or lat is None:
            raise ValidationFailed("give the position (lon, lat) your opinion concerns", field="lon")
        grid, wlon, wlat = grid_of_point(session, lon=lon, lat=lat, crs=crs)
        household_id = None
    else:
        require_role(actor, *COLLECT_ROLES, Role.RESIDENT)
        raise AssertionError("unreachable")
    opinion = Opinion(
        area_code=grid,
        household_id=household_id,
        visit_id=visit_id,
        channel=channel,
        content=content,
        tags=tag_list,
        lon=wlon,
        lat=wlat,
        account_id=actor.account_id,
        username=actor.username,
        submitted_at=utcnow(),
        state=OpinionState.OPEN.value,
    )
    session.add(opinion)
    session.flush()
    return opinion


def get_opinion(session: Session, actor: Actor, opinion_id: int) -> Opinion:
    """One opinion in the staff member's scope (residents see theirs through the list)."""
    require_role(actor, *READ_ROLES)
    opinion = session.get(Opinion, opinion_id)
    if opinion is None:
        raise NotFound("opinion not found", field="opinion_id")
    check_read(actor, opinion.area_code, what="opinion")
    return opinion


def opinions_query(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    tag: str | None = None,
    area_code: str | None = None,
) -> Select[Opinion]:
    """Opinions visible to the actor (residents: their own), newest first."""
    if actor.has_role(*READ_ROLES):
        stmt = in_scope(select(Opinion), Opinion.area_code, actor, roles=READ_ROLES)
        if area_code is not None:
            stmt = stmt.where(Opinion.area_code.in_(visible_grids(session, actor, area_code=area_code)))
    elif actor.has_role(Role.RESIDENT):
        stmt = select(Opinion).where(Opinion.account_id == actor.account_id)
    else:
        require_role(actor, *READ_ROLES, Role.RESIDENT)
        raise AssertionError("unreachable")
    if state:
        if state not in {s.value for s in OpinionState}:
            raise ValidationFailed("state must be open, answered or case", field="state")
        stmt = stmt.where(Opinion.state == state)
    if tag:
        # JSON arrays are stored as serialised text (ASCII-escaped): match the element's JSON form.
        stmt = stmt.where(cast(Opinion.tags, Text).contains(json.dumps(tag), autoescape=True))
    return stmt.order_by(Opinion.submitted_at.desc(), Opinion.id.desc())


def tag_opinion(session: Session, actor: Actor, *, opinion_id: int, tags: Sequence[str]) -> Opinion:
    """Replace an opinion's tags."""
    require_role(actor, *ANSWER_ROLES)
    opinion = get_opinion(session, actor, opinion_id)
    check_write(actor, opinion.area_code, what="opinion", roles=ANSWER_ROLES)
    opinion.tags = _tags(tags)
    session.flush()
    return opinion


def answer_opinion(session: Session, actor: Actor, *, opinion_id: int, answer: str) -> Opinion:
    """Answer an opinion (the resident sees the answer)."""
    require_role(actor, *ANSWER_ROLES)
    opinion = get_opinion(session, actor, opinion_id)
    check_write(actor, opinion.area_code, what="opinion", roles=ANSWER_ROLES)
    opinion.answer = clean_text(answer, field="answer", max_len=4000)
    opinion.answered_at = utcnow()
    opinion.answered_by = actor.username
    if opinion.state == OpinionState.OPEN.value:
        opinion.state = OpinionState.ANSWERED.value
    session.flush()
    return opinion


def opinion_to_case(
    session: Session,
    actor: Actor,
    *,
    opinion_id: int,
    category_code: str = "1601",
    title: str | None = None,
) -> Opinion:
    """Turn an opinion describing a problem into a case (one click; cases.service.raise_case)."""
    require_role(actor, *ANSWER_ROLES)
    opinion = get_opinion(session, actor, opinion_id)
    check_write(actor, opinion.area_code, what="opinion", roles=ANSWER_ROLES)
    if opinion.case_id is not None:
        raise Conflict(f"this opinion is already case {opinion.case_number}", field="opinion_id")
    case = raise_case(
        session,
        actor,
        category_code=category_code,
        description=opinion.content,
        source="opinion",
        lon=opinion.lon,
        lat=opinion.lat,
        area_code=opinion.area_code,
        title=title,
        source_ref=f"opinion:{opinion.id}",
        # the resident whose opinion it is follows the case as its reporter (/track, "my reports")
        reporter_account_id=opinion.account_id if opinion.channel == "resident" else None,
    )
    opinion.case_id = case.id
    opinion.case_number = case.number
    opinion.state = OpinionState.CASE.value
    session.flush()
    return opinion
