"""UI-2: the delegation admin lists every model; its actions go through the services."""

from __future__ import annotations

import pytest

from delegations.models import CaretakerGrant, ManagedAccount
from delegations.services import approve_management, request_management

from .factories import grant_row


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(email="root@vendor.example", password="x")


@pytest.mark.parametrize("model", ["caretakergrant", "managedaccount", "grantinvitation", "notification"])
def test_ui2_admin_changelists_load(w, client, superuser, model):
    grant_row(tenant=w.tenant, caretaker=w.tech)
    client.force_login(superuser)
    assert client.get(f"/admin/delegations/{model}/").status_code == 200


def test_ui2_admin_revoke_action_calls_the_service(w, client, superuser):
    active = grant_row(tenant=w.tenant, caretaker=w.tech)
    pending = grant_row(tenant=w.tenant2, caretaker=w.tech, status="pending")
    client.force_login(superuser)
    response = client.post(
        "/admin/delegations/caretakergrant/",
        {"action": "revoke", "_selected_action": [active.pk, pending.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert CaretakerGrant.objects.get(pk=active.pk).status == "revoked"
    assert CaretakerGrant.objects.get(pk=pending.pk).status == "pending"  # refused by the service, reported
    assert active.audit_events.filter(action="delegation.revoked", actor=superuser).exists()


def test_ui2_admin_dissolve_needs_the_notice_first(w, client, superuser):
    relation = approve_management(
        actor=w.owner,
        relation=request_management(actor=w.sales, customer_number=w.customer.number, scope="read"),
    )
    client.force_login(superuser)
    client.post(
        "/admin/delegations/managedaccount/", {"action": "dissolve", "_selected_action": [relation.pk]}
    )
    assert ManagedAccount.objects.get().status == "active"
    client.post(
        "/admin/delegations/managedaccount/", {"action": "notify_partner", "_selected_action": [relation.pk]}
    )
    client.post(
        "/admin/delegations/managedaccount/", {"action": "dissolve", "_selected_action": [relation.pk]}
    )
    relation.refresh_from_db()
    assert relation.status == "dissolved" and relation.partner_notified_at is not None


def test_ui2_admin_grants_are_found_by_partner_and_caretaker(w, client, superuser):
    w.partner.number = "P-4711"
    w.partner.save(update_fields=["number"])
    ours = grant_row(tenant=w.tenant, caretaker=w.tech, partner_account=w.partner, caretaker_email="")
    grant_row(tenant=w.other_tenant, caretaker=w.other_owner, caretaker_email="")
    client.force_login(superuser)
    for term in ("Agentur Test", "P-4711", "tech@agentur.example"):
        response = client.get("/admin/delegations/caretakergrant/", {"q": term})
        assert [g.pk for g in response.context["cl"].result_list] == [ours.pk], term


def test_ui2_admin_managed_accounts_are_found_by_partner_number(w, client, superuser):
    w.partner.number = "P-4711"
    w.partner.save(update_fields=["number"])
    relation = request_management(actor=w.sales, customer_number=w.customer.number, scope="read")
    client.force_login(superuser)
    found = client.get("/admin/delegations/managedaccount/", {"q": "P-4711"})
    assert [r.pk for r in found.context["cl"].result_list] == [relation.pk]
    assert (
        list(client.get("/admin/delegations/managedaccount/", {"q": "P-9999"}).context["cl"].result_list)
        == []
    )


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("grantinvitation", {"used_at__isnull": "True"}),
        ("grantinvitation", {"replaced_at__isnull": "False"}),
        ("managedaccount", {"created_at__gte": "2000-01-01 00:00:00+00:00"}),
        ("notification", {"read_at__isnull": "True"}),
    ],
)
def test_ui2_admin_filters_are_offered(w, client, superuser, model, query):
    client.force_login(superuser)
    response = client.get(f"/admin/delegations/{model}/", query)
    # An unknown filter parameter makes the admin redirect with ?e=1; an offered one answers 200.
    assert response.status_code == 200
    field = next(iter(query)).split("__")[0]
    assert field in [getattr(f, "field_path", None) for f in response.context["cl"].filter_specs]
