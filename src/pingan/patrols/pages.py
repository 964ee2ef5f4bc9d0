"""The patrol volunteer's phone page (/patrol): the current shift with check-in/check-out, and the dispatches
sent to them with the case's what and where and the operator's instruction, reported back as accepted /
arrived / done into the case. A new dispatch appears without a reload: the page follows the live feed
(/api/v1/live, which sends a volunteer only their own dispatches) and then fetches its own view.

The managers' roster (/patrols/roster): the volunteers in scope, masked, with their device and its key state;
a new device key is shown once, as the server URL and a QR code for the phone's tracking app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from pingan.areas import service as areas
from pingan.cases import interface as cases
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, Forbidden, NotFound, PinganError
from pingan.core.pii import get_protector
from pingan.core.security import Actor, Role
from pingan.core.validation import DbId, PageNumber
from pingan.patrols import dispatch, shifts, volunteers
from pingan.patrols.common import DISPATCH_ROLES, MANAGE_ROLES
from pingan.patrols.models import PatrolVolunteer, Shift
from pingan.web import i18n
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import lang_of, render, require_staff
from pingan.web.pages.lookups import names
from pingan.web.pages.work import case_view

router = APIRouter(include_in_schema=False)
REPORTS = ("accepted", "arrived", "done", "declined")
MAX_OUTCOME = 2000
SHOWN_SHIFTS = 3
ROSTER_PAGE_SIZE = 50
MAX_FILTER = 64


def _area_name(session: DbSession, code: str) -> str:
    try:
        return areas.get_area(session, code).name
    except NotFound:
        return code


def _shift_rows(session: DbSession, volunteer_id: int) -> list[dict[str, Any]]:
    """The current and next few bookings (ended ones left out), with their grids."""
    now = utcnow()
    rows = []
    for booking in shifts.bookings_of(session, volunteer_id=volunteer_id, since=now - timedelta(hours=12)):
        if booking.status in ("done", "cancelled") and booking.ends_at <= now:
            continue
        shift = session.get(Shift, booking.shift_id)
        grid = shift.grid_code if shift else ""
        rows.append(
            {
                "id": booking.id,
                "grid": _area_name(session, grid) if grid else "",
                "starts_at": booking.starts_at,
                "ends_at": booking.ends_at,
                "status": booking.status,
                "now": booking.starts_at <= now < booking.ends_at,
                "can_check_in": booking.status == "planned"
                and booking.starts_at - timedelta(minutes=30) <= now <= booking.ends_at,
                "can_check_out": booking.status == "on_duty",
            }
        )
    return rows[:SHOWN_SHIFTS]


def _page(
    request: Request,
    session: DbSession,
    actor: Actor,
    *,
    errors: dict[int, dict[str, str]] | None = None,
    values: dict[int, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = lang_of(request)
    lookup = names(session, lang)
    own = volunteers.volunteer_for_account(session, actor.account_id) if actor.account_id else None
    cards = dispatch.my_dispatch_cards(session, actor) if own else []
    for card in cards:
        card["category"] = lookup.category(card["category_code"])
    saved = request.query_params.get("saved", "")
    return render(
        request,
        "patrol.html",
        actor,
        status_code=status_code,
        volunteer=own,
        # their own name in full: a person's own data shown to that person is no disclosure, so it is not
        # audited (the trail records reads of other people's data; see docs/patrols.md)
        own_name=_own_name(own) if own else "",
        team=_team_name(session, own.team_id) if own else "",
        bookings=_shift_rows(session, own.id) if own else [],
        cards=cards,
        errors=errors or {},
        values=values or {},
        alert=alert,
        saved=saved if saved in (*REPORTS, "check_in", "check_out") else None,
    )


def _own_name(own: PatrolVolunteer) -> str:
    """The volunteer's name in full, or masked when the configured keys cannot open it (a rotated-out key)."""
    try:
        return get_protector().decrypt(own.name_enc)
    except ValueError:
        return own.name_masked


def _team_name(session: DbSession, team_id: int) -> str:
    from pingan.patrols.models import PatrolTeam

    team = session.get(PatrolTeam, team_id)
    return team.name if team else ""


@router.get("/patrol")
def patrol_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    actor = require_staff(actor, Role.PATROL_VOLUNTEER)
    return _page(request, session, actor)


@router.post("/patrol/bookings/{assignment_id}/{step}")
def patrol_shift(
    request: Request, session: DbSession, actor: OptionalActor, assignment_id: DbId, step: str
) -> Response:
    """Check in to or out of one's own shift."""
    actor = require_staff(actor, Role.PATROL_VOLUNTEER)
    own = volunteers.volunteer_for_account(session, actor.account_id) if actor.account_id else None
    mine = {b["id"] for b in _shift_rows(session, own.id)} if own else set()
    if step not in ("check-in", "check-out") or assignment_id not in mine:
        raise NotFound("booking not found", field="assignment_id")
    translate = i18n.translator(lang_of(request))
    try:
        if step == "check-in":
            shifts.check_in(session, actor, assignment_id=assignment_id)
        else:
            shifts.check_out(session, actor, assignment_id=assignment_id)
    except PinganError:
        session.rollback()
        return _page(request, session, actor, alert=translate("patrol.err.shift"), status_code=409)
    return RedirectResponse(f"/patrol?saved={step.replace('-', '_')}", status_code=303)


@router.post("/patrol/dispatches/{dispatch_id}")
async def patrol_report(
    request: Request, session: DbSession, actor: OptionalActor, dispatch_id: DbId
) -> Response:
    """Report accepted / arrived / done (with the outcome) on one's own dispatch; it lands in the case."""
    actor = require_staff(actor, Role.PATROL_VOLUNTEER)
    if dispatch_id not in {d.id for d in dispatch.my_dispatches(session, actor)}:
        raise NotFound("dispatch not found", field="dispatch_id")
    form = await request.form()
    status = str(form.get("status") or "")
    outcome = str(form.get("outcome") or "").strip()
    translate = i18n.translator(lang_of(request))
    errors: dict[str, str] = {}
    if status not in REPORTS:
        errors["status"] = translate("patrol.err.status")
    if len(outcome) > MAX_OUTCOME:
        errors["outcome"] = translate("patrol.err.outcome_long", n=MAX_OUTCOME)
    elif status == "done" and len(outcome) < 2:
        errors["outcome"] = translate("patrol.err.outcome")
    code = 422
    if not errors:
        try:
            dispatch.report_dispatch(session, actor, dispatch_id=dispatch_id, status=status, outcome=outcome)
        except Conflict:
            session.rollback()
            errors["status"], code = translate("patrol.err.step"), 409
        except PinganError as exc:
            session.rollback()
            field = "outcome" if exc.field == "outcome" else "status"
            errors[field], code = translate(f"patrol.err.{field}"), exc.status
    if errors:
        return _page(
            request,
            session,
            actor,
            errors={dispatch_id: errors},
            values={dispatch_id: outcome},
            status_code=code,
        )
    return RedirectResponse(f"/patrol?saved={status}", status_code=303)


# --- the managers' roster and device keys ---------------------------------------------------------------


def _roster_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    *,
    community: str = "",
    q: str = "",
    page: int = 1,
    errors: dict[int, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = lang_of(request)
    community, q = community.strip()[:MAX_FILTER], q.strip()[:MAX_FILTER]
    rows, total = volunteers.list_volunteers(
        session,
        actor,
        within=community or None,
        device=q or None,
        offset=(page - 1) * ROSTER_PAGE_SIZE,
        limit=ROSTER_PAGE_SIZE,
    )
    pages = max(1, -(-total // ROSTER_PAGE_SIZE))
    teams = volunteers.list_teams(session, actor)
    team_names = {t["id"]: t["name"] for t in teams}
    lookup = names(session, lang)
    communities = sorted({t["area_code"] for t in teams})

    def query(**changes: Any) -> str:
        params = {"community": community, "q": q, "page": page, **changes}
        kept = {k: v for k, v in params.items() if v not in (None, "", 1)}
        return "/patrols/roster" + (f"?{urlencode(kept)}" if kept else "")

    return render(
        request,
        "patrol_roster.html",
        actor,
        status_code=status_code,
        rows=[
            {
                "v": v,
                "team": team_names.get(v.team_id, ""),
                "community": lookup.area(v.area_code),
            }
            for v in rows
        ],
        total=total,
        page=page,
        pages=pages,
        community=community,
        q=q,
        communities=[(code, lookup.area(code)) for code in communities],
        query=query,
        errors=errors or {},
        alert=alert,
        back=query(),
    )


@router.get("/patrols/roster")
def roster_page(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    community: str = "",
    q: str = "",
    page: PageNumber = 1,
) -> Response:
    """Managers' roster: volunteers in scope (masked) with device, key state and refused key attempts."""
    who = require_staff(actor, *MANAGE_ROLES)
    return _roster_page(request, session, who, community=community, q=q, page=page)


@router.post("/patrols/roster/{volunteer_id}/device-key")
async def roster_new_key(
    request: Request, session: DbSession, actor: OptionalActor, volunteer_id: DbId
) -> Response:
    """Give the volunteer's device a new key and show it once (server URL + QR); the old key stops working."""
    who = require_staff(actor, *MANAGE_ROLES)
    form = await request.form()
    back = str(form.get("back") or "")
    if not back.startswith("/patrols/roster"):
        back = "/patrols/roster"
    params = parse_qs(urlsplit(back).query)
    number = (params.get("page") or ["1"])[0]
    community = (params.get("community") or [""])[0]
    q = (params.get("q") or [""])[0]
    page = max(1, int(number)) if number.isdigit() and len(number) < 10 else 1
    translate = i18n.translator(lang_of(request))

    def alert_for(vid: int, message: str) -> str:
        # the row may be on another page of the roster: the message also heads the page, naming the volunteer
        target = volunteers.get_volunteer(session, who, vid)
        return f"{target.name_masked}（{target.device_id or '—'}）：{message}"

    try:
        volunteer, key = volunteers.rotate_device_key(session, who, volunteer_id=volunteer_id)
    except (NotFound, Forbidden):
        raise
    except PinganError as exc:
        session.rollback()
        reason = "no_device" if exc.field == "device_id" else "key"
        message = translate(f"patrol.roster.err.{reason}")
        return _roster_page(
            request,
            session,
            who,
            community=community,
            q=q,
            page=page,
            errors={volunteer_id: message},
            alert=alert_for(volunteer_id, message),
            status_code=exc.status,
        )
    url = volunteers.setup_url(str(request.base_url), key)
    return render(
        request,
        "patrol_roster_key.html",
        who,
        volunteer=volunteer,
        key=key,
        url=url,
        qr_svg=volunteers.setup_qr_svg(url),
        back=back,
    )


# The patrols module's section of the staff case page (its ``CasePanel``): cases a patrol volunteer can be
# sent to, and how fresh a volunteer's position must be to be offered.
PATROL_STATES = ("registered", "dispatched", "in_progress")
PATROL_FRESH_MINUTES = 10
PATROL_CANDIDATES = 5
MAX_PATROL_NOTE = 500


def case_panel(request: Request, session: DbSession, actor: Actor, case: Any) -> dict[str, Any] | None:
    """The nearest on-duty patrollers and the volunteers already sent, for those who may dispatch."""
    if not actor.has_role(*DISPATCH_ROLES):
        return None
    sent = dispatch.case_dispatches(session, actor, case_id=case.id)
    candidates: list[dict[str, Any]] = []
    can_send = case.state in PATROL_STATES and case.lon is not None and case.lat is not None
    if can_send:
        candidates = dispatch.nearest_patrollers(
            session, actor, case_id=case.id, limit=PATROL_CANDIDATES, fresh_minutes=PATROL_FRESH_MINUTES
        )["candidates"]
    if not can_send and not sent:
        return None
    return {
        "can_send": can_send,
        "candidates": candidates,
        "sent": sent,
        "fresh": PATROL_FRESH_MINUTES,
        "just_sent": request.query_params.get("patrol") == "assigned",
    }


@router.post("/work/cases/{case_id}/patrol")
async def patrol_assign(
    request: Request, session: DbSession, actor: OptionalActor, case_id: DbId
) -> Response:
    """Send one of the nearest patrol volunteers to the case (派遣巡防队员); errors come back by fields."""
    actor = require_staff(actor, *DISPATCH_ROLES)
    cases.get_case(session, actor, case_id=case_id)  # out of scope → 404 before anything else
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in ("volunteer_id", "patrol_note")}
    translate = i18n.translator(lang_of(request))
    errors: dict[str, str] = {}
    status = 422
    if not values["volunteer_id"].isdigit():
        errors["volunteer_id"] = translate("patrol.err.volunteer")
    if len(values["patrol_note"]) > MAX_PATROL_NOTE:
        errors["patrol_note"] = translate("patrol.err.note_long", n=MAX_PATROL_NOTE)
    if not errors:
        try:
            dispatch.assign_dispatch(
                session,
                actor,
                case_id=case_id,
                volunteer_id=int(values["volunteer_id"]),
                note=values["patrol_note"],
            )
        except NotFound as exc:
            if exc.field != "volunteer_id":
                raise
            session.rollback()
            errors["volunteer_id"] = translate("patrol.err.volunteer")
        except Conflict as exc:
            session.rollback()
            busy = "patrol.err.sos" if exc.code == "volunteer_in_sos" else "patrol.err.busy"
            errors["volunteer_id"], status = translate(busy), 409
        except PinganError as exc:
            session.rollback()
            errors["volunteer_id"], status = translate("patrol.err.generic"), exc.status
    if errors:
        return case_view(
            request, session, actor, case_id, panel_forms={"patrols": (errors, values)}, status_code=status
        )
    return RedirectResponse(f"/work/cases/{case_id}?patrol=assigned#patrol-title", status_code=303)
