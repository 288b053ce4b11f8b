"""Booked services' actions come from one transition table (issue 8 §6, TEN-6): for every actor and every
service in every state, the API's ``actions``, the tenant page's buttons and what the services accept are
the same — nothing is offered that would be refused (e.g. ending a billable service without ``book``), nothing
accepted that is not offered."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.tests.factories import PartnerAccountFactory, member
from delegations.tests.factories import grant_row
from portal import access
from portal.errors import DomainError
from tenants import services
from tenants.models import BookedService
from tenants.services.booking import TRANSITIONS
from tenants.transitions import SERVICE

pytestmark = pytest.mark.django_db

ACTORS = ["sales", "support", "tech", "partner_admin", "owner", "customer_admin", "caretaker"]
CHECKED = ("cancel", "end", "discount")


class _Rollback(Exception):
    pass


def _accepted(call) -> bool:
    try:
        with transaction.atomic():
            call()
            raise _Rollback
    except _Rollback:
        return True
    except DomainError:
        return False


@pytest.fixture
def sworld(world, clock):
    clock.today("2025-06-10")
    caretaker = member(PartnerAccountFactory(), "tech", email="care@betreuer.example")
    grant_row(tenant=world.tenant, caretaker=caretaker, scope="full_technical")
    shop = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="shop.example", service_types=["archive", "spam-filter"]
    )
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.book_services(actor=world.sales, domain=shop, service_types=["dmarc-report"])  # free, ordered
    services.book_services(actor=world.sales, domain=shop, service_types=["signature"], add_dependencies=True)
    archive = shop.services.get(service_type__code="archive")
    services.end_service(
        actor=world.sales, service=archive, end_date=__import__("datetime").date(2025, 6, 11)
    )
    clock.today("2025-06-12")
    services.complete_ended_services()
    spam = shop.services.get(service_type__code="spam-filter")
    services.end_service(
        actor=world.sales, service=spam, end_date=__import__("datetime").date(2025, 7, 31), confirm=True
    )
    signature = shop.services.get(service_type__code="signature")
    services.cancel_service(actor=world.sales, service=signature, confirm=True)
    statuses = set(shop.services.values_list("status", flat=True))
    assert {"ordered", "deployed", "ending", "ended", "cancelled"} <= statuses
    world.caretaker = caretaker
    return world


def test_every_action_moves_along_the_status_graph():
    for transition in SERVICE.transitions.values():
        for source in transition.sources:
            if transition.target is not None and not (transition.action == "end" and source == "ordered"):
                assert transition.target in TRANSITIONS[source], (transition.action, source)
    assert "cancelled" in TRANSITIONS["ordered"]  # end on a service not deployed yet cancels it


@pytest.mark.parametrize("who", ACTORS)
def test_offered_equals_accepted_on_page_and_api(client, sworld, who):
    user = getattr(sworld, who)
    access.forget(user)
    client.force_login(user)
    listed = client.get(f"/api/v1/tenants/{sworld.tenant.number}/services/?page_size=100").json()["results"]
    api = {row["number"]: set(row["actions"]) for row in listed}
    page = client.get(reverse("tenant_detail", args=[sworld.tenant.number])).content.decode()
    rows = dict(re.findall(r'data-service="([^"]+)">(.*?)</tr>', page, re.S))
    assert api and set(api) <= set(rows) | set(api)
    for service in BookedService.objects.filter(domain__tenant=sworld.tenant).select_related("service_type"):
        offered = api[service.number] & set(CHECKED)
        accepted = {
            "cancel": _accepted(
                lambda s=service: services.cancel_service(actor=user, service=s, confirm=True)
            ),
            "end": _accepted(lambda s=service: services.end_service(actor=user, service=s, confirm=True)),
            "discount": _accepted(
                lambda s=service: services.set_discount(actor=user, service=s, percent=5, reason="test")
            ),
        }
        assert offered == {action for action, ok in accepted.items() if ok}, (
            who,
            service.number,
            service.status,
        )
        row = rows.get(service.number, "")
        assert ('data-action="discount"' in row) == ("discount" in offered), (who, service.number)
        assert ('data-action="end"' in row) == bool({"end", "cancel"} & offered), (who, service.number)
