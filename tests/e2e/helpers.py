"""Small helpers for the browser tests: sign in, accessibility check with axe-core, screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.e2e.conftest import AXE, SCREENSHOTS

PASSWORD = "pingan-demo"
PHONE = {"width": 375, "height": 812}
WALL = {"width": 1920, "height": 1080}
DESK = {"width": 1440, "height": 900}


def sign_in(page: Page, base_url: str, username: str, *, next_path: str = "") -> None:
    page.goto(f"{base_url}/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("用户名").or_(page.get_by_label("Username")).fill(username)
    page.get_by_label("密码").or_(page.get_by_label("Password")).fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")


def axe_violations(page: Page, *, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations on the page (axe-core from node_modules)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (exclude) => {
            const context = exclude.length ? {exclude: exclude.map(s => [s])} : document;
            const r = await axe.run(context, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }""",
        exclude or [],
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Page, *, exclude: list[str] | None = None) -> None:
    bad = axe_violations(page, exclude=exclude)
    assert not bad, "accessibility violations:\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in bad
    )


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
