"""The service catalogue: acyclic dependencies checked on every change with the cycle named, the base
service, who maintains it, the admin form. Tests TEN-5 and UI-2."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.tests.factories import VendorAccountFactory, member
from portal import access
from portal.errors import NotPermitted, RuleViolation
from tenants import services
from tenants.catalogue import check_acyclic, find_cycle
from tenants.models import ServiceType

pytestmark = pytest.mark.django_db


def test_ten5_find_cycle_names_the_path():
    graph = {1: {2}, 2: {3}}
    assert find_cycle(graph, 3, {1}) == [3, 1, 2, 3]
    assert find_cycle(graph, 3, set()) is None
    assert find_cycle(graph, 4, {4}) == [4, 4]  # requiring itself


def test_ten5_cycle_is_refused_naming_it(types):
    with pytest.raises(RuleViolation) as caught:
        services.update_service_type(
            actor=access.SYSTEM, service_type=types["encryption"], requires=[types["signature"]]
        )
    assert caught.value.code == "dependency_cycle"
    assert "encryption → signature → encryption" in caught.value.detail
    assert list(types["encryption"].requires.all()) == []  # nothing changed


def test_ten5_longer_cycle_and_self_dependency(types):
    services.update_service_type(
        actor=access.SYSTEM, service_type=types["archive"], requires=[types["signature"]]
    )
    with pytest.raises(RuleViolation) as caught:
        services.update_service_type(
            actor=access.SYSTEM, service_type=types["encryption"], requires=[types["archive"]]
        )
    assert "encryption → archive → signature → encryption" in caught.value.detail
    with pytest.raises(RuleViolation) as caught:
        check_acyclic(types["archive"], [types["archive"]])
    assert "archive → archive" in caught.value.detail


def test_ten5_direct_m2m_writes_cannot_store_a_cycle(types):
    """The m2m guard covers code that bypasses the services (shell, admin inlines, imports)."""
    from django.db import transaction

    # add() runs without a savepoint of its own: the savepoints here keep the test's transaction usable.
    with pytest.raises(RuleViolation, match="encryption → signature → encryption"), transaction.atomic():
        types["encryption"].requires.add(types["signature"])
    with pytest.raises(RuleViolation, match="cycle"), transaction.atomic():
        types["signature"].required_by.add(types["encryption"])  # the reverse side
    assert not types["encryption"].requires.exists()


def test_ten5_base_service_requires_nothing_and_is_unique(types):
    with pytest.raises(RuleViolation) as caught:
        services.update_service_type(
            actor=access.SYSTEM, service_type=types["base"], requires=[types["archive"]]
        )
    assert caught.value.code == "base_requires_nothing"
    with pytest.raises(RuleViolation) as caught:
        services.create_service_type(
            actor=access.SYSTEM, code="base-2", name="Second base", monthly_price="1", is_base=True
        )
    assert caught.value.code == "service_type_conflict"


def test_ten5_create_validates_code_and_price(types):
    with pytest.raises(RuleViolation) as caught:
        services.create_service_type(actor=access.SYSTEM, code="Bad Code", name="x", monthly_price="1")
    assert caught.value.code == "invalid_code"
    for price in ("-1", "abc", "1.005"):
        with pytest.raises(RuleViolation) as caught:
            services.create_service_type(actor=access.SYSTEM, code="x", name="x", monthly_price=price)
        assert caught.value.code == "invalid_price"
    created = services.create_service_type(
        actor=access.SYSTEM, code="journal", name="Journal", monthly_price="7.5", requires=[types["archive"]]
    )
    assert created.monthly_price == Decimal("7.50")
    assert [t.code for t in created.requires.all()] == ["archive"]


def test_ten5_only_vendor_admins_maintain_the_catalogue(world):
    with pytest.raises(NotPermitted):
        services.create_service_type(actor=world.partner_admin, code="x", name="x", monthly_price="1")
    vendor = VendorAccountFactory()
    admin = member(vendor, "admin")
    assert services.create_service_type(actor=admin, code="x", name="x", monthly_price="1").code == "x"
    support = member(vendor, "support")
    with pytest.raises(NotPermitted):
        services.update_service_type(actor=support, service_type=ServiceType.objects.get(code="x"), name="y")


def test_ui2_admin_form_refuses_a_cycle(types, admin_client):
    from django.urls import reverse

    url = reverse("admin:tenants_servicetype_change", args=[types["encryption"].pk])
    response = admin_client.post(
        url,
        {
            "name": "E-mail encryption",
            "description": "",
            "monthly_price": "14.90",
            "requires": [types["signature"].pk],
            "active": "on",
            "position": "2",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "encryption → signature → encryption" in errors
    assert not types["encryption"].requires.exists()
    response = admin_client.post(
        url,
        {
            "name": "Encryption (new)",
            "description": "",
            "monthly_price": "15.90",
            "requires": [types["archive"].pk],
            "active": "on",
            "position": "2",
        },
    )
    assert response.status_code == 302
    types["encryption"].refresh_from_db()
    assert types["encryption"].name == "Encryption (new)"
    assert [t.code for t in types["encryption"].requires.all()] == ["archive"]
