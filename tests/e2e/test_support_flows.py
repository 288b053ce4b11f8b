"""Browser flows of support (SUP-5, SUP-6) in Debian's chromium, against the seeded demo world, in German.

1. Vendor support types the staging account's e-mail into the one search box (focus is there, Enter searches)
   and sees ``via_leading_account`` with its chain of reasons naming the leading account; "/" returns to the box.
2. A customer's owner files a ticket from the account page and sees it with its stored verdict.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.two_factor import pass_second_factor

pytestmark = pytest.mark.e2e


def log_in(page: Page, base_url: str, email: str, password: str = "demo") -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    pass_second_factor(page, email)
    expect(page.get_by_role("link", name=email)).to_be_visible()


def test_sup5_support_types_staging_email_and_sees_via_leading_account(e2e):
    page, base_url = e2e
    log_in(page, base_url, "support@vendor.example")
    page.goto(f"{base_url}/support/")
    box = page.locator("[data-support-search]")
    expect(box).to_be_focused()
    page.keyboard.type("Staging@Shop.example")
    page.keyboard.press("Enter")
    card = page.locator("#lookup-card")
    expect(card.locator("[data-verdict]")).to_have_attribute("data-verdict", "via_leading_account")
    reasons = card.get_by_role("list", name=re.compile("Gründe|Reasons"))
    expect(reasons).to_contain_text("K-100001")
    expect(reasons).to_contain_text("staging@shop.example")
    expect(card).to_contain_text("Shop GmbH (Staging)")
    # "/" returns to the box from anywhere on the page.
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(box).to_be_focused()


def test_sup6_customer_files_a_ticket(e2e):
    page, base_url = e2e
    log_in(page, base_url, "owner@shop.example")
    page.goto(f"{base_url}/accounts/K-100001/")
    page.locator("#support").get_by_role("link", name=re.compile("Neues Ticket|New ticket")).click()
    page.locator("#id_account").select_option("K-100001")
    page.locator("#id_category").select_option("bug_analysis")
    page.locator("input[name=subject]").fill("Kasse druckt keine Belege")
    page.locator("textarea[name=message]").fill("Seit heute Morgen bleibt der Druck leer.")
    page.locator("form[data-billable-codes] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Kasse druckt keine Belege")
    expect(page.locator("[data-verdict]").first).to_have_attribute("data-verdict", "entitled")
    expect(page.locator("h1")).to_contain_text(re.compile(r"SUP-\d{6}"))
