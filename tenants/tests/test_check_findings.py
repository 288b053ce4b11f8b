"""Consistency-check findings that tenants/tests/test_checks.py does not produce (TEN-7 "check domain and
services"): a live domain without its base service, a billing start on a never-deployed service, a domain that
does not exist in DNS and a resolver failure — each stored with its code and described in words."""

from __future__ import annotations

import datetime

import pytest

from tenants import services
from tenants.checks import describe_finding
from tenants.models import BookedService

pytestmark = pytest.mark.django_db


def test_ten7_check_finds_missing_base_billing_without_deploy_and_dns_failures(
    world, django_capture_on_commit_callbacks
):
    nobase = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="nobase.example", service_types=["archive"]
    )
    services.add_registered_user(actor=world.sales, domain=nobase, email="a@nobase.example")
    gone = services.add_domain(actor=world.sales, tenant=world.tenant, name="nxdomain-shop.example")
    broken = services.add_domain(actor=world.sales, tenant=world.tenant, name="dnsfail-shop.example")
    for domain in (gone, broken):
        services.add_registered_user(actor=world.sales, domain=domain, email=f"a@{domain.name}")
    # Legacy data the services never write: the base booking gone, a billing start on an ordered service.
    BookedService.objects.filter(domain=nobase, service_type__is_base=True).update(status="cancelled")
    archive = nobase.services.get(service_type__code="archive")
    BookedService.objects.filter(pk=archive.pk).update(billing_start=datetime.date(2025, 6, 1))

    with django_capture_on_commit_callbacks(execute=True):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    run.refresh_from_db()
    assert run.status == "done"
    found = {(f.code, f.domain_id) for f in run.findings.all()}
    assert found == {
        ("missing_base_service", nobase.pk),
        ("billing_start_without_deploy", nobase.pk),
        ("domain_not_found", gone.pk),
        ("dns_error", broken.pk),
    }
    without_deploy = run.findings.get(code="billing_start_without_deploy")
    assert without_deploy.service_id == archive.pk and without_deploy.severity == "error"
    assert describe_finding(without_deploy, "nobase.example") == (
        f"Mail archive ({archive.number}) on nobase.example has a billing start (June 1, 2025) but was never"
        " deployed."
    )
    assert run.findings.get(code="dns_error").details["detail"] == "simulated resolver failure"
    for finding in run.findings.all():
        assert describe_finding(finding, "x.example").strip()  # every code has words, not just its code
