"""The audit trail (DEL-7, ACC-2): services write AuditEvents naming the actor and the account it acted for;
members with ``view_audit`` see their account's events on /audit/, other members and other accounts do not."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from accounts.tests.factories import AccountFactory, PartnerAccountFactory, member
from portal.models import AuditEvent
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_del7_api_call_records_actor_and_acting_account(client):
    partner = PartnerAccountFactory()
    customer = AccountFactory(reseller=partner)
    sales = member(partner, "sales")
    member(AccountFactory(), "owner", user=sales)  # a second membership: the header decides
    client.force_login(sales)
    response = client.post(
        "/api/v1/tenants/",
        {"name": "Shop", "account": customer.number},
        content_type="application/json",
        HTTP_X_ACCOUNT=partner.number,
    )
    assert response.status_code == 201, response.content
    tenant = Tenant.objects.get(number=response.json()["number"])
    event = AuditEvent.objects.get(action="tenant.created", tenant=tenant)
    assert event.actor == sales
    assert event.acting_account == partner
    assert event.account == customer  # the customer's trail
    assert event.target_repr == str(tenant)


def test_del7_html_action_records_the_active_account(client):
    account = AccountFactory()
    owner = member(account, "owner")
    client.force_login(owner)
    response = client.post(
        f"/accounts/{account.number}/members/invite/", {"email": "new@example.org", "roles": ["member"]}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="membership.invited")
    assert (event.actor, event.acting_account, event.account) == (owner, account, account)
    assert event.changes["email"] == "new@example.org"


def test_del7_every_foundation_service_writes_an_event():
    account = AccountFactory()
    owner = member(account, "owner")
    created = account_services.create_account(actor=owner, name="Neu GmbH")
    account_services.update_account(actor=owner, account=account, city="Kiel")
    account_services.invite_member(actor=owner, account=account, email="a@example.org", roles=["member"])
    invited = account.memberships.get(role="member").user
    account_services.change_roles(actor=owner, account=account, user=invited, roles=["billing"])
    account_services.remove_member(actor=owner, account=account, user=invited)
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "actor_id", "account_id"))
    assert actions == [
        ("account.created", owner.pk, created.pk),
        ("account.changed", owner.pk, account.pk),
        ("membership.invited", owner.pk, account.pk),
        ("membership.roles_changed", owner.pk, account.pk),
        ("membership.removed", owner.pk, account.pk),
    ]


@pytest.fixture
def trail():
    """Account A with an event by its admin; account B with an event by its owner."""
    a, b = AccountFactory(), AccountFactory()
    a_owner, a_admin, a_billing, a_member = (member(a, r) for r in ("owner", "admin", "billing", "member"))
    b_owner = member(b, "owner")
    account_services.update_account(actor=a_admin, account=a, city="Marker-A-city")
    account_services.update_account(actor=b_owner, account=b, city="Marker-B-city")
    return {"a_owner": a_owner, "a_billing": a_billing, "a_member": a_member, "b_owner": b_owner}


@pytest.mark.parametrize(
    ("user", "sees_a", "sees_b"),
    [
        ("a_owner", True, False),
        ("a_billing", True, False),  # billing holds view_audit
        ("a_member", False, False),  # a plain member does not
        ("b_owner", False, True),
    ],
)
def test_del7_audit_page_shows_the_accounts_events_to_view_audit_members(client, trail, user, sees_a, sees_b):
    client.force_login(trail[user])
    page = client.get("/audit/")
    assert page.status_code == 200
    content = page.content.decode()
    assert ("Marker-A-city" in content) == sees_a
    assert ("Marker-B-city" in content) == sees_b


def test_del7_vendor_support_sees_every_event(client, trail):
    from accounts.tests.factories import VendorAccountFactory

    client.force_login(member(VendorAccountFactory(), "support"))
    content = client.get("/audit/").content.decode()
    assert "Marker-A-city" in content and "Marker-B-city" in content


def test_del7_audit_page_and_dashboard_name_actions_in_the_users_language(client, trail):
    owner = trail["a_owner"]
    client.force_login(owner)
    for language, label in (("de", "Kundenkonto geändert"), ("en", "Account changed")):
        owner.language = language
        owner.save(update_fields=["language"])
        trail_page = client.get("/audit/").content.decode()
        assert label in trail_page and "account.changed" in trail_page  # the code stays, for searching
        assert label in client.get("/").content.decode()


def test_del7_every_action_label_is_translated_and_unknown_actions_read_as_their_code():
    from django.utils import translation

    from portal.audit import ACTION_LABELS, action_label

    with translation.override("en"):
        english = {code: action_label(code) for code in ACTION_LABELS}
    with translation.override("de"):
        assert [code for code in ACTION_LABELS if action_label(code) == english[code]] == []
        assert action_label("licence.something_new") == "licence.something_new"
