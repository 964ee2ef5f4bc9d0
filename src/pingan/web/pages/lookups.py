"""Names the pages show: categories and areas by code, in the viewer's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.cases import routing
from pingan.cases.service import PUBLIC_NOTE_ACTIONS
from pingan.cases.sla import SlaStatus
from pingan.core.clock import as_utc, format_duration, utcnow
from pingan.web.i18n import Translator


@dataclass
class Names:
    """Category and area names for one request."""

    lang: str
    categories: dict[str, str] = field(default_factory=dict)
    majors: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)
    areas: dict[str, str] = field(default_factory=dict)

    def category(self, code: str | None) -> str:
        return self.categories.get(code or "", code or "")

    def area(self, code: str | None) -> str:
        return self.areas.get(code or "", code or "")

    def place(self, *codes: str | None) -> str:
        """ "Street · community · grid" from the codes that are known."""
        seen: list[str] = []
        for code in codes:
            name = self.areas.get(code or "")
            if name and name not in seen:
                seen.append(name)
        return " · ".join(seen)


def names(session: Session, lang: str, *, within: str | None = None, public_only: bool = False) -> Names:
    """Category names (with their major groups) and the names of every area under ``within``."""
    result = Names(lang=lang)
    cats = routing.list_categories(session, public_only=public_only)
    for cat in cats:
        result.categories[cat.code] = (cat.name_en or cat.name_zh) if lang == "en" else cat.name_zh
    for cat in cats:
        if cat.parent_code is None:
            children = [
                (c.code, result.categories[c.code]) for c in cats if c.parent_code == cat.code and c.is_active
            ]
            if children:
                result.majors.append((cat.code, result.categories[cat.code], children))
    for area in areas.list_areas(session, within=within):
        result.areas[area.code] = area.name
    return result


def due_text(due: datetime | None, translate: Translator, lang: str, now: datetime | None = None) -> str:
    """ "还剩2小时15分" / "超时3小时" for a deadline."""
    if due is None:
        return ""
    left = as_utc(due) - (now or utcnow())
    if left >= timedelta(0):
        return translate("time.left", d=format_duration(left, lang))
    return translate("time.over", d=format_duration(-left, lang))


def status_text(status: SlaStatus, translate: Translator, lang: str) -> str:
    """The words of a case's time-limit status (``cases.sla.status_of``): "还剩2小时15分", "已超时3小时",
    "结案时限已超时1天", "已挂起（计时暂停）"; empty for finished cases. The queue, the case page and the
    wall's feed show this beside the colour of the same status."""
    if status.is_paused:
        return translate("time.paused")
    if status.seconds_left is None:
        return ""
    prefix = "time.close_" if status.due_kind == "close" else "time."
    delta = timedelta(seconds=abs(status.seconds_left))
    if status.seconds_left >= 0:
        return translate(prefix + "left", d=format_duration(delta, lang))
    return translate(prefix + "over", d=format_duration(delta, lang))


# Who wrote a step when no person did (system actors): the resident's rating, the SLA job, the public form.
SYSTEM_ACTORS = {"reporter": "actor.reporter", "system": "actor.system", "cases.refresh_sla": "actor.sla_job"}
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")


def timeline_view(events: list[Any], translate: Translator, *, public: bool = False) -> list[dict[str, Any]]:
    """Timeline steps in the viewer's language: a translated label for every step, the state change only
    when the state changed, known system actors by name, and the notes the system wrote itself (automatic
    supervision, merges, splits, duplicates) translated from the step's details rather than shown raw.
    ``public``: the resident's view (no actors, only public text)."""
    out = []
    for ev in events:
        changed = bool(ev.from_state and ev.to_state and ev.from_state != ev.to_state)
        actor = (
            ""
            if public
            else translate(SYSTEM_ACTORS[ev.actor_name])
            if ev.actor_name in SYSTEM_ACTORS
            else ev.actor_name
        )
        out.append(
            {
                "at": ev.at,
                "action": ev.action,
                "label": translate(f"action.{ev.action}"),
                "state": translate(f"state.{ev.to_state}") if changed else "",
                "actor": actor,
                "note": _step_note(ev, translate, public=public),
                "details": ev.details or {},
            }
        )
    return out


def _step_note(ev: Any, translate: Translator, *, public: bool) -> str:
    details = ev.details or {}
    if ev.action == "rate":
        return translate(f"rating.{ev.note}") if ev.note in RATINGS else ""
    if ev.action == "report":
        source = details.get("source")
        return (
            ""
            if public or not source
            else translate("tl.report_source", source=translate(f"source.{source}"))
        )
    if ev.action == "supervise" and details.get("auto"):
        return translate("tl.auto_escalated" if details.get("escalated") else "tl.auto_supervised")
    if ev.action in ("absorb", "split", "link") and details.get("other_number"):
        return translate(f"tl.{ev.action}", number=details["other_number"])
    if ev.action in ("absorb", "split", "link"):
        return translate(f"tl.{ev.action}_plain")
    if public:
        return ev.note if public_note_allowed(ev.action) else ""
    return str(ev.note or "")


def public_note_allowed(action: str) -> bool:
    return action in PUBLIC_NOTE_ACTIONS
