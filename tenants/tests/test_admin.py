"""Django admin for the tenant operation models (UI-2): lists render, actions go through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEvent
from tenants import services
from tenants.models import BookedService, CheckRun, Domain

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["domain", "servicetype", "bookedservice", "checkrun", "offer"])
def test_ui2_changelists_render(world, admin_client, model):
    services.add_domain(
        actor=world.sales, tenant=world.tenant, name="shop.example", service_types=["archive"]
    )
    response = admin_client.get(reverse(f"admin:tenants_{model}_changelist") + "?q=shop")
    assert response.status_code == 200


def test_ui2_admin_end_action_uses_the_service(world, admin_client, admin_user, clock):
    clock.today("2025-06-10")
    domain = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="shop.example", service_types=["archive"]
    )
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    archive = domain.services.get(service_type__code="archive")
    response = admin_client.post(
        reverse("admin:tenants_bookedservice_changelist"),
        {"action": "end_at_default_date", "_selected_action": [archive.pk]},
    )
    assert response.status_code == 302
    archive.refresh_from_db()
    assert archive.status == "ending" and str(archive.end_date) == "2025-06-30"
    assert AuditEvent.objects.get(action="tenant.service.ended").actor == admin_user


def test_ui2_admin_refusal_is_a_message_not_a_change(world, admin_client):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    base = domain.services.get()
    services.cancel_service(actor=world.sales, service=base)
    response = admin_client.post(
        reverse("admin:tenants_bookedservice_changelist"),
        {"action": "cancel", "_selected_action": [base.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert any(message.level_tag == "error" for message in response.context["messages"])
    assert BookedService.objects.get(pk=base.pk).status == "cancelled"


def test_ui2_admin_confidential_and_check_actions(world, admin_client, django_capture_on_commit_callbacks):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    admin_client.post(
        reverse("admin:tenants_domain_changelist"),
        {"action": "mark_confidential", "_selected_action": [domain.pk]},
    )
    assert Domain.objects.get(pk=domain.pk).confidential
    run = CheckRun.objects.create(tenant=world.tenant, status="done", progress=100)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:tenants_checkrun_changelist"),
            {"action": "check_again", "_selected_action": [run.pk]},
        )
    assert CheckRun.objects.filter(tenant=world.tenant).count() == 2
    assert CheckRun.objects.exclude(pk=run.pk).get().status == "done"


def test_ui2_admin_creates_a_service_type_through_the_service(types, admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:tenants_servicetype_add"),
        {
            "code": "journal",
            "name_de": "Journal",
            "name_en": "Journal",
            "description_de": "",
            "monthly_price": "3.00",
            "requires": [types["archive"].pk],
            "active": "on",
            "position": "9",
        },
    )
    assert response.status_code == 302
    from tenants.models import ServiceType

    created = ServiceType.objects.get(code="journal")
    assert [t.code for t in created.requires.all()] == ["archive"]
    assert AuditEvent.objects.filter(
        action="tenant.catalogue.service_type_created", actor=admin_user
    ).exists()


def test_ui2_booked_services_are_searchable_by_type_idn_name_and_discount_reason(world, admin_client):
    domain = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="bücher.example", service_types=["archive"]
    )
    archive = domain.services.get(service_type__code="archive")
    services.set_discount(actor=world.sales, service=archive, percent="10", reason="Messe-Rabatt")
    url = reverse("admin:tenants_bookedservice_changelist")

    def found(query):
        response = admin_client.get(url, {"q": query})
        assert response.status_code == 200
        return {service.number for service in response.context["cl"].result_list}

    assert found("archive") == {archive.number}
    assert found("bücher") == set(domain.services.values_list("number", flat=True))
    assert found("messe") == {archive.number}
    assert found("nirgends") == set()


def test_ui2_admin_service_type_save_is_one_audited_service_call(types, admin_client, admin_user):
    data = {"description_de": "", "active": "on", "position": "9"}
    response = admin_client.post(
        reverse("admin:tenants_servicetype_add"),
        {
            **data,
            "code": "journal",
            "name_de": "Journal",
            "name_en": "Journal",
            "monthly_price": "3.00",
            "requires": [types["archive"].pk],
        },
    )
    assert response.status_code == 302
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "tenant.catalogue.service_type_created"
    ]
    journal = types["archive"].required_by.get()
    response = admin_client.post(
        reverse("admin:tenants_servicetype_change", args=[journal.pk]),
        {
            **data,
            "name_de": "Journal",
            "name_en": "Journal",
            "monthly_price": "4.00",
            "requires": [types["spam-filter"].pk],
        },
    )
    assert response.status_code == 302
    changed = AuditEvent.objects.get(action="tenant.catalogue.service_type_changed")  # exactly one
    assert changed.actor == admin_user
    assert (
        changed.changes["from"]["monthly_price"] == "3.00"
        and changed.changes["to"]["monthly_price"] == "4.00"
    )
    assert changed.changes["requires"] == ["spam-filter"]
    assert [t.code for t in journal.requires.all()] == ["spam-filter"]
