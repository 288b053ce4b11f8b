"""Tenant reads (TEN-3, TEN-6, TEN-7): counts of live domains and bookings as constant-size subqueries, the
per-tenant permission summary that drives the buttons, catalogue prices, the end-service preview."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import selectors, services
from tenants.bench_data import create_bench_data

pytestmark = pytest.mark.django_db


def test_ten3_counts_live_domains_and_live_bookings_only(world, clock):
    clock.today("2025-06-10")
    kept = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="a.example", service_types=["archive"]
    )
    gone = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="b.example", service_types=["archive"]
    )
    services.cancel_service(
        actor=world.sales, service=gone.services.get(service_type__is_base=True), confirm=True
    )
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.end_service(actor=world.sales, service=kept.services.get(service_type__code="archive"))
    tenant = selectors.tenants_visible_to(world.sales).get(pk=world.tenant.pk)
    assert (tenant.domains_count, tenant.services_count) == (1, 2)  # archive is ending: still booked
    services.complete_ended_services(today=datetime.date(2025, 7, 1))
    tenant = selectors.tenants_visible_to(world.sales).get(pk=world.tenant.pk)
    assert (tenant.domains_count, tenant.services_count) == (1, 1)


def test_perf_tenant_list_is_one_query_without_distinct(world):
    create_bench_data(30, partner=world.partner, customer=world.customer)
    queryset = selectors.tenants_visible_to(world.sales).order_by("-services_count", "number")
    access_queries = CaptureQueriesContext(connection)
    with access_queries:
        rows = list(queryset[:25])
    assert len(rows) == 25
    sql = [q["sql"] for q in access_queries.captured_queries if "tenants_tenant" in q["sql"]]
    assert len(sql) == 1
    assert "DISTINCT" not in sql[0].upper()
    assert rows[0].domains_count == 3 and rows[0].services_count == 10


def test_ten7_bench_data_shape(world):
    result = create_bench_data(20, partner=world.partner, customer=world.customer)
    assert (len(result.tenant_ids), result.domains, result.services) == (20, 60, 200)
    statuses = set(
        selectors.services_of(
            world.sales, world.tenant.__class__.objects.get(pk=result.tenant_ids[0])
        ).values_list("status", flat=True)
    )
    assert statuses <= {"ordered", "deployed", "ending"}
    assert selectors.tenants_visible_to(world.sales).filter(pk__in=result.tenant_ids).count() == 20


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("sales", {"view", "change", "book", "add_service", "end_service", "view_billing"}),
        ("support", {"view"}),
        ("tech", {"view", "change", "deploy", "run_check"}),
        ("customer_admin", {"view", "change", "run_check", "view_billing", "view_access"}),
        (
            "partner_admin",
            {"view", "change", "book", "add_service", "end_service", "view_billing", "manage_confidential"},
        ),
    ],
)
def test_ten7_tenant_permissions_drive_the_buttons(world, role, allowed):
    permissions = selectors.tenant_permissions(getattr(world, role), world.tenant)
    assert {name for name, value in vars(permissions).items() if value} == allowed
    assert permissions.read_only == (role == "support")
    assert permissions.create_offer == ("book" in allowed and "view_billing" in allowed)


def test_del3_catalogue_prices_only_with_view_billing(world):
    assert selectors.can_view_prices(world.sales)
    assert selectors.can_view_prices(world.customer_admin)
    assert not selectors.can_view_prices(world.tech)
    assert not selectors.can_view_prices(world.support)


def test_ten7_end_preview(world, clock):
    clock.today("2025-06-30")
    domain = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="a.example", service_types=["encryption", "signature"]
    )
    preview = selectors.end_preview(world.sales, domain.services.get(service_type__code="encryption"))
    assert preview.cancels  # not deployed yet
    assert preview.default_end_date == datetime.date(2025, 7, 31)
    assert preview.earliest_end_date == datetime.date(2025, 7, 1)
    assert [s.service_type.code for s in preview.affected] == ["signature"]
    base_preview = selectors.end_preview(world.sales, domain.services.get(service_type__is_base=True))
    assert len(base_preview.affected) == 2
