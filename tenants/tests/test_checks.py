"""The consistency check: findings, progress, one run at a time, idempotent and safe to retry, the MX
checkers. Tests TEN-7 ("check domain and services")."""

from __future__ import annotations

import datetime
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from portal.errors import NotFound, NotPermitted
from portal.models import AuditEvent, OutboxJob
from tenants import dns as mx
from tenants import selectors, services
from tenants.checks import describe_finding
from tenants.domains import DomainLabeler
from tenants.models import BookedService, CheckRun, Finding
from tenants.services import checks as check_service

pytestmark = pytest.mark.django_db


def _setup(world):
    """Domains that produce every kind of finding (see the DeterministicChecker's naming rules)."""
    ok = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="ok.example", service_types=["archive"]
    )
    services.add_registered_user(actor=world.sales, domain=ok, email="a@ok.example")
    legacy = services.add_domain(actor=world.sales, tenant=world.tenant, name="legacy.example")
    nomx = services.add_domain(actor=world.sales, tenant=world.tenant, name="nomx.example")
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.add_registered_user(actor=world.sales, domain=legacy, email="a@legacy.example")
    # Anomalies that the services never produce, as imported legacy data could hold them:
    archive = ok.services.get(service_type__code="archive")
    BookedService.objects.filter(pk=archive.pk).update(discount_percent=Decimal("15"), discount_reason="")
    base_ok = ok.services.get(service_type__is_base=True)
    BookedService.objects.filter(pk=base_ok.pk).update(billing_start=base_ok.deployed_on - timedelta(days=3))
    legacy_base = legacy.services.get()
    BookedService.objects.filter(pk=legacy_base.pk).update(billing_start=None)
    # A dependency missing: signature booked without encryption (bypassing the service).
    BookedService.objects.create(
        number="S-8000001",
        domain=ok,
        service_type=world.types["signature"],
        status="deployed",
        deployed_on=base_ok.deployed_on,
        billing_start=base_ok.deployed_on,
    )
    return ok, legacy, nomx


def test_ten7_check_finds_every_kind_of_problem(world, django_capture_on_commit_callbacks):
    ok, legacy, nomx = _setup(world)
    with django_capture_on_commit_callbacks(execute=True):
        run, created = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    assert created
    run.refresh_from_db()
    assert run.status == "done" and run.progress == 100
    assert (run.total_domains, run.checked_domains) == (3, 3)
    found = {(f.code, f.domain_id) for f in run.findings.all()}
    assert found == {
        ("missing_dependency", ok.pk),
        ("discount_without_reason", ok.pk),
        ("billing_start_before_deploy", ok.pk),
        ("mx_elsewhere", legacy.pk),
        ("deployed_without_billing_start", legacy.pk),
        ("mx_missing", nomx.pk),
        ("domain_without_users", nomx.pk),
    }
    missing = run.findings.get(code="missing_dependency")
    assert missing.details["missing"] == ["encryption"]
    assert missing.severity == "error"
    labeler = DomainLabeler(world.tech)
    assert describe_finding(missing, labeler(missing.domain)) == (
        "Digital signature (S-8000001) on ok.example needs E-mail encryption, which is not booked."
    )
    elsewhere = run.findings.get(code="mx_elsewhere")
    assert "mx.legacy-provider.example" in describe_finding(elsewhere, "legacy.example")
    event = AuditEvent.objects.get(action="tenant.check.finished")
    assert event.changes["findings"] == 7


def test_ten7_clean_tenant_has_no_findings(world, django_capture_on_commit_callbacks):
    domain = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="clean.example", service_types=["archive"]
    )
    services.add_registered_user(actor=world.sales, domain=domain, email="a@clean.example")
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        run, _created = services.start_consistency_check(actor=world.customer_admin, tenant=world.tenant)
    run.refresh_from_db()
    assert run.status == "done" and not run.findings.exists()


def test_ten7_second_check_while_one_runs_returns_the_running_one(world):
    with mock.patch("portal.outbox._publish") as publish:
        first, created = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
        second, created_again = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    assert created and not created_again
    assert first.pk == second.pk
    assert CheckRun.objects.count() == 1
    assert OutboxJob.objects.filter(task_name="tenants.run_consistency_check").count() == 1
    assert publish.call_count == 0  # published on commit only (the test transaction never commits)


def test_ten7_task_is_recorded_with_the_run_and_handed_over_after_commit(
    world, django_capture_on_commit_callbacks
):
    with (
        mock.patch("portal.outbox._publish", return_value=(1, False)) as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        run, _created = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
        job = OutboxJob.objects.get(task_name="tenants.run_consistency_check")
        assert (job.kwargs, job.dedupe_key, job.status) == (
            {"run_id": run.pk},
            f"check-run:{run.pk}",
            "queued",
        )
        assert publish.call_count == 0
    assert publish.call_count == 1 and [row["pk"] for row in publish.call_args.args[0]] == [job.pk]


def test_ten7_finished_run_is_not_run_again_and_a_new_check_starts_fresh(
    world, django_capture_on_commit_callbacks
):
    services.add_domain(actor=world.sales, tenant=world.tenant, name="nomx.example")
    with django_capture_on_commit_callbacks(execute=True):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    assert services.run_consistency_check(run_id=run.pk) is None  # a duplicate delivery: nothing to do
    assert Finding.objects.filter(run=run).count() == 1  # no MX; nothing deployed, so no billing finding
    with mock.patch("tenants.tasks.run_consistency_check.delay"):
        again, created = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    assert created and again.pk != run.pk


def test_ten7_retry_of_an_interrupted_run_replaces_its_findings(world):
    services.add_domain(actor=world.sales, tenant=world.tenant, name="nomx.example")
    with mock.patch("tenants.tasks.run_consistency_check.delay"):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    # A first attempt died half-way (worker lost): running, with a stray finding.
    CheckRun.objects.filter(pk=run.pk).update(status="running", attempts=1, progress=40)
    Finding.objects.create(run=run, code="mx_missing", severity="warning")
    result = services.run_consistency_check(run_id=run.pk)
    assert result.status == "done" and result.attempts == 2
    assert sorted(run.findings.values_list("code", flat=True)) == ["mx_missing"]


def test_ten7_a_slower_duplicate_attempt_does_not_overwrite(world):
    services.add_domain(actor=world.sales, tenant=world.tenant, name="nomx.example")
    with mock.patch("tenants.tasks.run_consistency_check.delay"):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)

    class TakeoverChecker(mx.DeterministicChecker):
        """While this attempt checks, a second delivery claims the run (attempts goes up)."""

        def check_mx(self, name):
            CheckRun.objects.filter(pk=run.pk).update(attempts=5)
            return super().check_mx(name)

    result = services.run_consistency_check(run_id=run.pk, checker=TakeoverChecker())
    assert result.status == "running" and result.attempts == 5
    assert not run.findings.exists()  # the newer attempt will write its own result


def test_ten7_unexpected_error_fails_the_run(world):
    services.add_domain(actor=world.sales, tenant=world.tenant, name="ok.example")
    with mock.patch("tenants.tasks.run_consistency_check.delay"):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)

    class Broken:
        def check_mx(self, name):
            raise RuntimeError("resolver exploded")

    result = services.run_consistency_check(run_id=run.pk, checker=Broken())
    assert result.status == "failed" and "resolver exploded" in result.error
    assert services.run_consistency_check(run_id=run.pk) is None  # failed stays failed


def test_ten7_stale_runs_fail_and_do_not_block_new_checks(world, settings):
    with mock.patch("tenants.tasks.run_consistency_check.delay"):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
        CheckRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(hours=2))
        fresh, created = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    assert created and fresh.pk != run.pk
    run.refresh_from_db()
    assert run.status == "failed"
    CheckRun.objects.filter(pk=fresh.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    assert services.fail_stale_check_runs() == 1
    assert services.fail_stale_check_runs() == 0


@pytest.mark.parametrize(
    ("role", "error"), [("sales", NotPermitted), ("support", NotPermitted), ("other_sales", NotFound)]
)
def test_ten7_who_may_run_checks(world, role, error):
    with pytest.raises(error):
        services.start_consistency_check(actor=getattr(world, role), tenant=world.tenant)
    assert not CheckRun.objects.exists()


def test_ten7_findings_mask_confidential_domains(world, django_capture_on_commit_callbacks):
    domain = services.add_domain(
        actor=world.partner_admin,
        tenant=world.tenant,
        name="nomx-geheim.example",
        expert=True,
        confidential=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    run = selectors.check_run_for(world.tech, run.pk)
    finding = next(f for f in run.findings.all() if f.code == "mx_missing")
    assert finding.domain_id == domain.pk
    assert "geheim" not in str(finding.details)
    assert (
        describe_finding(finding, DomainLabeler(world.tech)(finding.domain))
        == "••••.example has no MX record."
    )


# --- MX checkers ------------------------------------------------------------------------------------------


def test_ten7_deterministic_checker_outcomes(settings):
    settings.PORTAL_MX_TARGETS = ["mx.portal-vendor.example"]
    checker = mx.DeterministicChecker()
    assert checker.check_mx("shop.example").status == mx.OK
    assert checker.check_mx("legacy.shop.example").status == mx.ELSEWHERE
    assert checker.check_mx("nomx.example").status == mx.NO_MX
    assert checker.check_mx("nxdomain.example").status == mx.NO_DOMAIN
    assert checker.check_mx("dnsfail.example").status == mx.ERROR


def test_ten7_mx_classification_accepts_subdomains_of_targets():
    ours = ("mx.portal-vendor.example",)
    assert mx.classify(["MX.Portal-Vendor.Example."], ours).ok
    assert mx.classify(["in1.mx.portal-vendor.example"], ours).ok
    assert not mx.classify(["evilmx.portal-vendor.example"], ours).ok  # not a sub-domain, just a suffix
    assert mx.classify([], ours).status == mx.NO_MX


def test_ten7_dnspython_checker_uses_the_resolver(settings):
    import dns.name
    import dns.resolver  # dnspython

    settings.PORTAL_MX_TARGETS = ["mx.portal-vendor.example"]

    class Record:
        def __init__(self, host):
            self.exchange = dns.name.from_text(host)

    with mock.patch("dns.resolver.resolve", return_value=[Record("in.mx.portal-vendor.example.")]) as resolve:
        assert mx.DnsPythonChecker(timeout=1).check_mx("shop.example").ok
    resolve.assert_called_once_with("shop.example", "MX", lifetime=1)
    with mock.patch("dns.resolver.resolve", return_value=[Record("mx.other.example.")]):
        result = mx.DnsPythonChecker(timeout=1).check_mx("shop.example")
    assert result.status == mx.ELSEWHERE and result.hosts == ("mx.other.example",)
    with mock.patch("dns.resolver.resolve", side_effect=dns.resolver.NXDOMAIN()):
        assert mx.DnsPythonChecker(timeout=1).check_mx("shop.example").status == mx.NO_DOMAIN
    with mock.patch("dns.resolver.resolve", side_effect=dns.resolver.NoAnswer()):
        assert mx.DnsPythonChecker(timeout=1).check_mx("shop.example").status == mx.NO_MX
    with mock.patch("dns.resolver.resolve", side_effect=dns.resolver.LifetimeTimeout(timeout=1, errors=[])):
        assert mx.DnsPythonChecker(timeout=1).check_mx("shop.example").status == mx.ERROR


def test_ten7_checker_is_chosen_by_setting(settings):
    settings.PORTAL_DNS_CHECKER = "tenants.dns.DnsPythonChecker"
    assert isinstance(mx.get_checker(), mx.DnsPythonChecker)
    settings.PORTAL_DNS_CHECKER = "tenants.dns.DeterministicChecker"
    assert isinstance(mx.get_checker(), mx.DeterministicChecker)


class _Clock:
    """Stands in for the ``time`` module of tenants.services.checks: ``monotonic()`` moves only when told."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


def test_ten7_progress_is_committed_while_the_check_runs(world, monkeypatch):
    for index in range(4):
        services.add_domain(actor=world.sales, tenant=world.tenant, name=f"d{index}.example")
    with mock.patch("tenants.tasks.run_consistency_check.delay"):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    clock = _Clock()
    monkeypatch.setattr(check_service, "time", clock)
    seen = []

    class Watching(mx.DeterministicChecker):
        """Each lookup takes longer than the progress interval (a slow DNS), so every step is committed."""

        def check_mx(self, name):
            current = CheckRun.objects.get(pk=run.pk)
            seen.append((current.status, current.checked_domains, current.progress))
            clock.now += check_service.PROGRESS_INTERVAL + 0.5
            return super().check_mx(name)

    services.run_consistency_check(run_id=run.pk, checker=Watching())
    assert seen == [("running", 0, 0), ("running", 1, 25), ("running", 2, 50), ("running", 3, 75)]
    run.refresh_from_db()
    assert (run.status, run.progress, run.checked_domains) == ("done", 100, 4)
    assert run.finished_at >= run.started_at >= run.created_at
    assert isinstance(run.finished_at, datetime.datetime)


def test_ten7_fast_checks_write_progress_at_most_once_per_interval(world, monkeypatch):
    for index in range(6):
        services.add_domain(actor=world.sales, tenant=world.tenant, name=f"d{index}.example")
    with mock.patch("tenants.tasks.run_consistency_check.delay"):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    clock = _Clock()
    monkeypatch.setattr(check_service, "time", clock)
    seen = []

    class Quick(mx.DeterministicChecker):
        """Two lookups per interval: progress moves every second domain."""

        def check_mx(self, name):
            current = CheckRun.objects.get(pk=run.pk)
            seen.append(current.checked_domains)
            clock.now += check_service.PROGRESS_INTERVAL / 2 + 0.01
            return super().check_mx(name)

    services.run_consistency_check(run_id=run.pk, checker=Quick())
    assert seen == [0, 0, 2, 2, 4, 4]
    run.refresh_from_db()
    assert (run.status, run.progress, run.checked_domains, run.total_domains) == ("done", 100, 6, 6)


def test_perf_check_queries_do_not_grow_with_the_domains(world, django_assert_max_num_queries):
    """TEN-7/PERF: the check reads domains, bookings and user counts set-based, and (with a fast checker)
    does not write progress per domain, so 3 and 150 domains cost the same, bounded number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.bench_data import add_domains_and_services
    from tenants.tests.factories import resold_tenant

    big = resold_tenant(world.customer, world.partner, name="Shop – viele Domains")
    counts = {}
    for tenant, domains in ((world.tenant, 3), (big, 150)):
        # "nomx…" names: the deterministic checker reports a missing MX record for each (findings to store).
        add_domains_and_services([tenant.pk], prefix="nomx", domains_per_tenant=domains)
        with mock.patch("tenants.tasks.run_consistency_check.delay"):
            run, _ = services.start_consistency_check(actor=world.tech, tenant=tenant)
        with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as queries:
            finished = services.run_consistency_check(run_id=run.pk, checker=mx.DeterministicChecker())
        assert (finished.status, finished.checked_domains) == ("done", domains)
        assert finished.findings.filter(code="mx_missing").count() == domains
        counts[domains] = len(queries)
    assert counts[3] == counts[150], counts


def test_ten7_database_errors_propagate_for_a_retry(world):
    from django.db import OperationalError

    services.add_domain(actor=world.sales, tenant=world.tenant, name="nomx.example")
    with mock.patch("tenants.tasks.run_consistency_check.delay"):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)

    class Flaky:
        def check_mx(self, name):
            raise OperationalError("database is locked")

    with pytest.raises(OperationalError):
        services.run_consistency_check(run_id=run.pk, checker=Flaky())
    run.refresh_from_db()
    assert run.status == "running"  # not failed: the task's retry starts it over
    result = services.run_consistency_check(run_id=run.pk)
    assert (result.status, result.attempts) == ("done", 2)
