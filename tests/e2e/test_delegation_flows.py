"""Browser flows of delegated access (DEL-1, DEL-2, DEL-4, DEL-5, DEL-6) in Debian's chromium, against the seeded
demo world, in German (the default language).

1. A partner's tech user requests caretaker access to a tenant it cannot see yet; the customer's owner accepts it
   under "Offene Anträge"; the partner sees the tenant; the owner revokes; the partner gets 404 on the tenant.
2. A customer's owner grants access to an e-mail without a log-in (form → confirmation → link mail); the
   caretaker opens the link, signs up with that e-mail and accepts; the tenant appears in its list.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.e2e.two_factor import pass_second_factor

pytestmark = pytest.mark.e2e

PARTNER_TECH = "tech@partner.example"
FREMD_OWNER = "it@fremdfirma.example"
SHOP_OWNER = "owner@shop.example"


def log_in(page: Page, base_url: str, email: str, password: str = "demo") -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    pass_second_factor(page, email)
    expect(page.get_by_role("link", name=email)).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", name="Anmelden", level=1)).to_be_visible()


@pytest.fixture
def fremd_tenant(e2e):
    """A new tenant of Fremdfirma GmbH that no partner can see yet (T-000008 is already delegated in the demo)."""
    from accounts.models import Account, User
    from tenants import services as tenant_services

    owner = User.objects.get(email=FREMD_OWNER)
    account = Account.objects.get(number="K-100006")  # Fremdfirma GmbH
    return tenant_services.create_tenant(actor=owner, account=account, name="Fremdfirma CRM")


def test_del1_partner_requests_owner_accepts_partner_sees_owner_revokes_partner_gets_404(e2e, fremd_tenant):
    page, base_url = e2e
    number, tenant_url = fremd_tenant.number, f"{base_url}/tenants/{fremd_tenant.number}/"

    # The partner asks for read access by number; the answer does not say whether the tenant exists.
    log_in(page, base_url, PARTNER_TECH)
    assert page.goto(tenant_url).status == 404
    page.goto(f"{base_url}/delegations/")
    page.get_by_role("link", name="Technische Betreuung beantragen").click()
    page.get_by_label("Mandantennummer").fill(number.lower())
    page.get_by_label(re.compile(r"^\s*Lesen –")).check()
    page.get_by_label("Nachricht an die Inhaber").fill("Wir übernehmen die Updates des CRM.")
    page.get_by_role("button", name="Antrag senden").click()
    expect(page.get_by_role("status")).to_have_text(
        "Falls ein Mandant mit dieser Nummer existiert, wurden seine Inhaber um Freigabe gebeten."
    )
    page.goto(f"{base_url}/delegations/")
    sent = page.locator("#outgoing").get_by_role("row").filter(has_text=number)
    expect(sent).to_contain_text("Offen")
    expect(sent).not_to_contain_text("Fremdfirma CRM")  # the name stays hidden until the owner accepts
    log_out(page)

    # The owner sees the request counted in the navigation and accepts it under "Offene Anträge".
    log_in(page, base_url, FREMD_OWNER)
    nav = page.get_by_role("navigation").get_by_role("link", name=re.compile(r"^Betreuungen"))
    expect(nav.locator(".badge")).to_have_text("1")
    nav.click()
    incoming = page.locator("#incoming").get_by_role("row").filter(has_text=number)
    expect(incoming).to_contain_text("Fremdfirma CRM")
    expect(incoming).to_contain_text(PARTNER_TECH)
    incoming.get_by_role("button", name="Annehmen").click()
    # Without an end date the owner is asked once (issue 13 §2) — here: yes, until revoked.
    page.get_by_role("dialog").get_by_role("button", name="Ohne Enddatum annehmen").click()
    expect(page.get_by_role("status")).to_contain_text("Angenommen. Der Zugriff ist aktiv.")
    granted = page.locator("#granted").get_by_role("row").filter(has_text=number)
    expect(granted).to_contain_text("Aktiv")
    expect(page.locator("#incoming")).not_to_contain_text(number)
    log_out(page)

    # The partner now sees the tenant in its list and opens it.
    log_in(page, base_url, PARTNER_TECH)
    page.get_by_role("navigation").get_by_role("link", name="Mandanten").click()
    page.get_by_role("table").get_by_role("link", name="Fremdfirma CRM").click()
    expect(page).to_have_url(re.compile(rf"/tenants/{number}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fremdfirma CRM")
    log_out(page)

    # The owner revokes (after confirming the dialog); the grant moves to the history.
    log_in(page, base_url, FREMD_OWNER)
    page.goto(f"{base_url}/delegations/")
    granted = page.locator("#granted").get_by_role("row").filter(has_text=number)
    page.once("dialog", lambda dialog: dialog.accept())
    granted.get_by_role("button", name="Widerrufen").click()
    expect(page.get_by_role("status")).to_have_text("Zugriff widerrufen.")
    expect(page.locator("#granted")).not_to_contain_text(number)
    expect(page.locator("#history").get_by_role("row").filter(has_text=number)).to_contain_text("Widerrufen")
    log_out(page)

    # The partner has lost the tenant at once: 404, and it is gone from the list.
    log_in(page, base_url, PARTNER_TECH)
    response = page.goto(tenant_url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Nicht gefunden")).to_be_visible()
    page.goto(f"{base_url}/tenants/?q={number}")
    expect(page.get_by_role("table").get_by_text("Fremdfirma CRM")).to_have_count(0)


def test_del2_owner_grants_by_email_caretaker_signs_up_from_the_link_and_sees_the_tenant(e2e):
    page, base_url = e2e
    caretaker = "neu@betreuer.example"

    log_in(page, base_url, SHOP_OWNER)
    page.goto(f"{base_url}/delegations/")
    page.get_by_role("link", name="Freigabe erteilen").click()
    page.get_by_label("E-Mail des technischen Betreuers").fill(caretaker)
    page.get_by_label("T-000003 Shop GmbH – Buchhaltung").check()
    page.get_by_label(re.compile(r"^\s*Lesen –")).check()
    page.get_by_role("button", name="Weiter").click()
    # The confirmation step names everything and has created nothing yet.
    expect(page.get_by_role("heading", name="Freigabe bestätigen")).to_be_visible()
    expect(page.get_by_text("T-000003 Shop GmbH – Buchhaltung")).to_be_visible()
    assert not [m for m in mail.outbox if caretaker in m.to]
    page.get_by_role("button", name="Freigabe erteilen").click()
    expect(page.get_by_role("status")).to_contain_text(f"{caretaker} erhält eine E-Mail mit einem Link")
    expect(page.locator("#outgoing").get_by_role("row").filter(has_text="T-000003")).to_contain_text(
        caretaker
    )
    log_out(page)

    (link_mail,) = [m for m in mail.outbox if caretaker in m.to]
    link = re.search(r"https?://\S+/delegations/link/\?token=\S+", link_mail.body).group(0)
    path = link[link.index("/delegations/") :]
    page.goto(f"{base_url}{path}")
    expect(page.get_by_role("heading", name="Zugriff annehmen")).to_be_visible()
    expect(page.locator("#offered-tenants")).to_contain_text("T-000003 Shop GmbH – Buchhaltung")
    page.get_by_label("Ihr Name").fill("Nina Neu")
    page.get_by_label("Passwort").fill("Kaffee-Tasse-2026")
    page.get_by_role("button", name="Registrieren und annehmen").click()
    expect(page.get_by_role("status")).to_have_text("Der Zugriff ist aktiv.")
    expect(page.locator("#caretaking").get_by_role("row").filter(has_text="T-000003")).to_contain_text(
        "Aktiv"
    )
    # The link is spent: opening it again says so.
    page.goto(f"{base_url}{path}")
    expect(page.get_by_role("alert")).to_have_text("Dieser Link wurde bereits verwendet.")
    response = page.goto(f"{base_url}/tenants/T-000003/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shop GmbH – Buchhaltung")
