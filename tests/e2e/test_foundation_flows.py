"""Browser flows of the foundation (UI-1, ACC-2, TEN-3) in Debian's chromium, against the seeded demo world.

Log in as the Shop GmbH owner, see its three production tenants, switch the UI to English, open a tenant,
log out; a wrong password answers a clear error and no session.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.two_factor import pass_second_factor

pytestmark = pytest.mark.e2e


SHOP_TENANTS = {
    "T-000001": "Shop GmbH – Webshop",
    "T-000002": "Shop GmbH – Lager",
    "T-000003": "Shop GmbH – Buchhaltung",
}


def log_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    # German is the default language: labels "E-Mail" and "Passwort", button "Anmelden".
    page.get_by_label("E-Mail", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    if password == "demo":
        pass_second_factor(page, email)


def test_ui1_owner_sees_tenants_switches_language_opens_tenant_and_logs_out(e2e):
    page, base_url = e2e
    log_in(page, base_url, "owner@shop.example", "demo")
    expect(page.get_by_role("link", name="owner@shop.example")).to_be_visible()

    page.get_by_role("navigation").get_by_role("link", name="Mandanten").click()
    expect(page.get_by_role("heading", name="Mandanten", level=1)).to_be_visible()
    table = page.get_by_role("table")
    for number, name in SHOP_TENANTS.items():
        row = table.get_by_role("row").filter(has_text=number)
        expect(row).to_have_count(1)
        expect(row.get_by_role("link", name=name)).to_be_visible()
    # Another customer's tenant never shows up (TEN-1: access through the one authority).
    expect(table.get_by_text("T-000008")).to_have_count(0)

    # The language switcher in the header: English from now on, also after the next page load.
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="Tenants", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("link", name=SHOP_TENANTS["T-000002"]).click()
    expect(page).to_have_url(re.compile(r"/tenants/T-000002/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(SHOP_TENANTS["T-000002"])
    expect(page.get_by_text("K-100001 Shop GmbH", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Audit trail of this tenant")).to_be_visible()

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
    # Logged out for real: a protected page sends us back to the log-in form.
    page.goto(f"{base_url}/tenants/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/tenants/"))
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()


def test_ui1_wrong_password_shows_a_clear_error(e2e):
    page, base_url = e2e
    log_in(page, base_url, "owner@shop.example", "not-the-password")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("E-Mail-Adresse oder Passwort ist falsch")
    expect(page.get_by_role("heading", name="Anmelden", level=1)).to_be_visible()
    # No session was created: the tenant list still asks for a log-in.
    page.goto(f"{base_url}/tenants/")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_ui1_unseen_tenant_answers_not_found_in_the_browser(e2e):
    page, base_url = e2e
    log_in(page, base_url, "owner@shop.example", "demo")
    expect(page.get_by_role("link", name="owner@shop.example")).to_be_visible()
    response = page.goto(f"{base_url}/tenants/T-000008/")  # Fremdfirma's tenant: never seen, so 404
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Nicht gefunden")).to_be_visible()
