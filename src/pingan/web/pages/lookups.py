"""Names the pages show: categories and areas by code, in the viewer's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.cases import routing
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
