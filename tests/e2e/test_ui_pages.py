"""The main pages as each demo role sees them (UI-1, issue 13 §4 and §7), against one seeded demo per module:
no page scrolls sideways at 375 px, the phone menu reaches "log out", axe-core finds no serious or critical
accessibility violation, and a keyboard-only walk through an overlay keeps focus inside it and returns it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import require_service

from .conftest import DEMO_ROLES, page_urls

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

AXE = Path(__file__).parent / "vendor" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("role", list(DEMO_ROLES))
def test_ui1_main_pages_have_no_horizontal_overflow_at_375px(signed_in, demo_site, role):
    page = signed_in(role, width=375)
    wide = []
    for path in page_urls(role):
        response = page.goto(demo_site + path)
        assert response is not None and response.status == 200, path
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            wide.append((path, scroll))
    assert wide == []


def test_ui1_phone_header_collapses_to_a_menu_with_log_out(signed_in, demo_site):
    page = signed_in("owner", width=375)
    log_out = page.get_by_role("button", name="Abmelden")
    expect(log_out).to_be_hidden()
    menu = page.get_by_role("button", name="Menü")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(log_out).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Übersicht")
    ).to_have_attribute("aria-current", "page")
    # The bell stays in the collapsed header.
    expect(page.get_by_role("link", name="Benachrichtigungen", exact=True)).to_be_visible()


@pytest.mark.parametrize("role", list(DEMO_ROLES))
def test_ui1_axe_finds_no_serious_or_critical_violation_on_the_main_pages(signed_in, demo_site, role):
    require_service(AXE.exists(), f"needs axe-core at {AXE} (make test installs it with npm)")
    page = signed_in(role, bypass_csp=True)
    found = []
    for path in page_urls(role):
        page.goto(demo_site + path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
        )
        found += [(path, violation["id"], violation["nodes"]) for violation in result]
    assert found == []


def test_ui1_keyboard_walk_through_an_overlay_traps_and_returns_focus(signed_in, demo_site):
    page = signed_in("sales")
    page.goto(demo_site + "/tenants/T-000001/")
    # The skip link comes first and leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Tab to the first "Services hinzufügen" and open the overlay with the keyboard.
    for _step in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.action") == "add-services":
            break
    else:
        pytest.fail("'Services hinzufügen' was not reached with the Tab key")
    opener = page.evaluate("document.activeElement.dataset.focusId")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("main")).to_have_attribute("inert", "")
    # Focus is on the first field, never on a button; Tab and Shift+Tab stay inside the overlay.
    assert page.evaluate("document.activeElement.closest('[data-overlay]') !== null")
    assert page.evaluate("document.activeElement.tagName") == "INPUT"
    for _step in range(30):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('[data-overlay]') !== null")
    for _step in range(5):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.closest('[data-overlay]') !== null")
    # Escape closes it; focus is back on the button that opened it, the page is usable again.
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert page.evaluate("document.activeElement.dataset.focusId") == opener
    expect(page.locator("main")).not_to_have_attribute("inert", "")


def test_ui1_sorting_keeps_focus_and_announces_the_result(signed_in, demo_site):
    page = signed_in("sales")
    page.goto(demo_site + "/tenants/")
    sort = page.locator("[data-focus-id=sort-name]")
    sort.focus()
    page.keyboard.press("Enter")
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", re.compile("ascending|descending"))
    expect(page.locator("#live-region")).to_contain_text("Mandanten gefunden")
    assert page.evaluate("document.activeElement.dataset.focusId") == "sort-name"
    # The search field keeps the filters in the address, so "refresh" and the export keep them too.
    page.get_by_label("Suche").fill("Shop")
    expect(page).to_have_url(re.compile(r"q=Shop"))
    expect(page.locator("#live-region")).to_contain_text("gefunden")
    assert page.evaluate("document.activeElement.id") == "id_q"
    expect(page.locator("[data-action=export-csv]")).to_have_attribute(
        "href", re.compile(r"q=Shop.*format=csv|format=csv.*q=Shop")
    )
