"""Benchmark data and jobs of the tenants app (TEN-3, TEN-7, issue 4).

World: every one of the 10,000 tenants gets 3 domains and 10 booked services (30,000 and 100,000, through
tenants.bench_data), and a separate customer owns two tenants for the consistency check: one with
``--check-domains`` domains (default 500) and one with 50, each with its bookings and registered users.

Job "consistency check": the CheckRun task's body (``services.run_consistency_check``) run synchronously in
this process with the network-free DeterministicChecker, over the big tenant; its baseline is the same check
over the 50-domain tenant. Its target: the query count does not grow with the domains.
"""

from __future__ import annotations

from .cases import job, job_result, measure
from .world import world_builder

CHECK_ACCOUNT = "K-900002"
CHECK_OWNER = "bench-check-owner@bench.example"
SMALL_CHECK_TENANT, BIG_CHECK_TENANT = "T-900050", "T-900500"
SMALL_CHECK_DOMAINS = 50


def _domains_built(world: dict) -> bool:
    from tenants.models import BookedService, Domain, Tenant

    tenants = world["options"]["tenants"]
    resold = Tenant.objects.filter(reseller=world["partner"])
    return (
        Domain.objects.filter(tenant__in=resold).count() == 3 * tenants
        and BookedService.objects.filter(domain__tenant__in=resold).count() == 10 * tenants
        and _check_tenants_built(world)
    )


def _check_tenants_built(world: dict) -> bool:
    from tenants.models import Domain

    wanted = {SMALL_CHECK_TENANT: SMALL_CHECK_DOMAINS, BIG_CHECK_TENANT: world["options"]["check_domains"]}
    return all(
        Domain.objects.filter(tenant__number=number, released_at__isnull=True).count() == count
        for number, count in wanted.items()
    )


@world_builder(built=_domains_built)
def add_domains(world: dict) -> None:
    """3 domains and 10 bookings per tenant, plus the two tenants of the consistency check."""
    from accounts.models import Account, Membership, User
    from tenants.bench_data import add_domains_and_services
    from tenants.models import Tenant

    ids = list(Tenant.objects.filter(reseller=world["partner"]).order_by("pk").values_list("pk", flat=True))
    result = add_domains_and_services(ids)
    print(f"    {result.domains} domains, {result.services} booked services in {result.seconds:.1f}s")
    customer = Account.objects.create(
        number=CHECK_ACCOUNT,
        name="Bench Prüfstand GmbH",
        kind="customer",
        purpose="production",
        contact_email="owner@check.bench.example",
    )
    owner = User.objects.create_user(email=CHECK_OWNER, password="bench", name="Bench Check Owner")
    Membership.objects.create(user=owner, account=customer, role="owner")
    for number, count in (
        (SMALL_CHECK_TENANT, SMALL_CHECK_DOMAINS),
        (BIG_CHECK_TENANT, world["options"]["check_domains"]),
    ):
        tenant = Tenant.objects.create(number=number, name=f"Prüfstand {count} Domains", account=customer)
        add_domains_and_services([tenant.pk], prefix=f"check{count}", domains_per_tenant=count)


def _check_runs(tenant, owner, runs: int) -> tuple[list[float], int, int]:
    """Start and run the check ``runs`` times; returns (wall ms per run, queries of a run, findings)."""
    from django.db import transaction

    from tenants import services
    from tenants.dns import DeterministicChecker
    from tenants.models import CheckRun

    CheckRun.objects.filter(tenant=tenant).delete()
    timings: list[float] = []
    queries = findings = 0
    for _ in range(runs + 1):  # the first run warms caches (catalogue, content types) and is not timed
        with transaction.atomic():
            run, created = services.start_consistency_check(actor=owner, tenant=tenant)
        if not created:
            raise SystemExit(f"consistency check: a run of {tenant.number} was still active")
        elapsed, counted, finished = measure(
            lambda run_id=run.pk: services.run_consistency_check(
                run_id=run_id, checker=DeterministicChecker()
            )
        )
        if finished is None or finished.status != "done":
            raise SystemExit(f"consistency check of {tenant.number} did not finish: {finished}")
        timings.append(elapsed)
        queries = max(queries, counted)
        findings = finished.findings.count()
    CheckRun.objects.filter(tenant=tenant).delete()
    return timings[1:], queries, findings


@job("consistency check")
def consistency_check(world: dict, args) -> list[dict]:
    from accounts.models import User
    from tenants.models import Tenant

    owner = User.objects.get(email=CHECK_OWNER)
    small = Tenant.objects.get(number=SMALL_CHECK_TENANT)
    big = Tenant.objects.get(number=BIG_CHECK_TENANT)
    domains = world["options"]["check_domains"]
    big_timings, big_queries, big_findings = _check_runs(big, owner, args.runs)
    small_timings, small_queries, _small_findings = _check_runs(small, owner, args.runs)
    median = sorted(big_timings)[(len(big_timings) - 1) // 2]
    return [
        job_result(
            f"consistency check, {domains} domains",
            rows=domains,
            timings=big_timings,
            queries=big_queries,
            baseline=f"same check, {SMALL_CHECK_DOMAINS} domains",
            base_timings=small_timings,
            base_queries=small_queries,
            target="queries equal",
            ok=big_queries == small_queries,
            note=f"{median / domains:.2f} ms per domain, {big_findings} findings stored",
        )
    ]
