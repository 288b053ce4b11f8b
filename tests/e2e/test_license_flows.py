"""Browser flow of licences (LIC-3, LIC-5, LIC-6) in Debian's chromium, against the seeded demo world: the
reseller issues a demo licence to its customer, the customer's admin assigns it to a member, and the member
activates it on a machine."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_delegation_flows import log_in, log_out

pytestmark = pytest.mark.e2e

RESELLER = "admin@reseller.example"
CUSTOMER_ADMIN = "admin@kanzlei.example"
USER = "user@kanzlei.example"


def test_reseller_issues_demo_admin_assigns_user_activates(e2e):
    page, base_url = e2e
    from accounts.models import Account, User

    kanzlei = Account.objects.get(contact_email="info@kanzlei-weber.example")
    user = User.objects.get(email=USER)

    log_in(page, base_url, RESELLER)
    page.goto(f"{base_url}/licenses/issue/")
    page.locator("#id_product").select_option("BS-100")
    page.locator("#id_kind").select_option("demo")
    page.locator("#id_holder").select_option(str(kanzlei.pk))
    page.locator("#id_demo_days").fill("14")
    page.locator("form.stacked button.primary").click()
    expect(page).to_have_url(re.compile(r"/licenses/[0-9A-Z-]{31}/$"))
    key = page.locator("h1 code").inner_text()
    expect(page.locator("main")).to_contain_text("Kanzlei Weber")
    log_out(page)

    log_in(page, base_url, CUSTOMER_ADMIN)
    page.goto(f"{base_url}/licenses/pools/")
    expect(page.locator("#seats")).to_contain_text(key)
    page.goto(f"{base_url}/licenses/{key}/")
    page.locator("#assign #id_user").select_option(str(user.pk))
    page.locator("#assign button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(USER)
    log_out(page)

    log_in(page, base_url, USER)
    page.goto(f"{base_url}/licenses/?scope=mine")
    page.get_by_role("link", name=key).click()
    page.locator("#activate #id_fingerprint").fill("UWE-LAPTOP-01")
    page.locator("#activate button[type=submit]").click()
    expect(page.locator("#activations")).to_contain_text("UWE-LAPTOP-01")

    from licenses.models import Activation

    assert Activation.objects.filter(
        license__key=key, fingerprint="UWE-LAPTOP-01", deactivated_at__isnull=True
    ).exists()
