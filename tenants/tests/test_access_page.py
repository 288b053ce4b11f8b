"""ACC-6 on the tenant page (issue 8 §3): "Who has access" from access.explain — owners, admins and vendor
staff see every entry with its source; everyone else sees "Your access", their own entry only. In German."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import AccountFactory, PartnerAccountFactory, VendorAccountFactory, member
from delegations.tests.factories import grant_row
from tenants.tests.factories import resold_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_world(db):
    partner = PartnerAccountFactory(name="Agentur Nord")
    customer = AccountFactory(name="Shop GmbH")
    tenant = resold_tenant(customer, partner, name="Webshop")
    caretaker = member(PartnerAccountFactory(name="Betreuer AG"), "tech", email="care@betreuer.example")
    grant_row(tenant=tenant, caretaker=caretaker, scope="read")
    return {
        "tenant": tenant,
        "owner": member(customer, "owner", email="owner@shop.example", language="de"),
        "member": member(customer, "member", email="member@shop.example", language="de"),
        "sales": member(partner, "sales", email="sales@agentur.example", language="de"),
        "vendor": member(VendorAccountFactory(), "support", email="support@vendor.example", language="de"),
        "caretaker": caretaker,
    }


def _section(client, user, tenant) -> str:
    client.force_login(user)
    with translation.override("de"):
        html = client.get(reverse("tenant_detail", args=[tenant.number]), HTTP_ACCEPT_LANGUAGE="de").content
    html = html.decode()
    start = html.index('id="access"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize("who", ["owner", "vendor"])
def test_owners_and_vendor_staff_see_everyone_and_why(client, page_world, who):
    section = _section(client, page_world[who], page_world["tenant"])
    assert "Wer hat Zugriff" in section
    for email in (
        "owner@shop.example",
        "member@shop.example",
        "sales@agentur.example",
        "care@betreuer.example",
    ):
        assert email in section
    assert "Betreuungsfreigabe" in section and "Wiederverkäufer (hat den Mandanten angelegt)" in section
    assert "Mitglied des besitzenden Kundenkontos" in section and "ansehen" in section


@pytest.mark.parametrize("who", ["member", "sales", "caretaker"])
def test_everyone_else_sees_only_their_own_entry(client, page_world, who):
    section = _section(client, page_world[who], page_world["tenant"])
    assert "Ihr Zugriff" in section and "Wer hat Zugriff" not in section
    others = {"owner@shop.example", "member@shop.example", "sales@agentur.example", "care@betreuer.example"}
    own = page_world[who].email
    assert own in section
    for email in others - {own}:
        assert email not in section
