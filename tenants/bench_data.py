"""Bulk test data for benchmarks and query-count tests (PERF, TEN-3..TEN-7): N tenants with 3N domains and
10N booked services, written with bulk_create in batches (seconds for 10,000 tenants, not minutes).

- ``add_domains_and_services(tenant_ids)`` fills existing tenants (e.g. bench/world.py's ``WORLD_BUILDERS``);
  ``domains_per_tenant`` gives a tenant more domains (the consistency-check benchmark: one tenant, 500 domains),
  cycling through the three slots of ``LAYOUT``;
- ``create_bench_data(n, partner=..., customer=...)`` creates the tenants too (resold by ``partner``, with the
  partner's guardian rows), then fills them.

Per tenant: three live domains ``<prefix>-<tenant pk>-<k>.example``; ten bookings spread over them so each
domain's live service types stay distinct (4 + 3 + 3, base service on every domain); most deployed and billed,
every tenth tenant's third domain still ordered, every seventh tenant's archive ending at the month end;
one registered user per domain except on every tenth tenant's third domain. Bypasses the services on
purpose (no per-row audit or locks); the rows satisfy every constraint the services maintain.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.numbers import next_numbers

from .dates import berlin_today, default_end_date
from .models import BookedService, Domain, RegisteredUser, ServiceStatus, Tenant

# Service type codes per domain slot (the demo catalogue): 4 + 3 + 3 = 10 per tenant.
LAYOUT = (
    ("base", "encryption", "signature", "large-files"),
    ("base", "archive", "spam-filter"),
    ("base", "spam-filter", "dmarc-report"),
)


@dataclass
class BenchData:
    tenant_ids: list[int] = field(default_factory=list)
    domains: int = 0
    services: int = 0
    registered_users: int = 0
    seconds: float = 0.0


def _batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def add_domains_and_services(
    tenant_ids: Iterable[int], *, prefix: str = "bench", batch_size: int = 5000, domains_per_tenant: int = 3
) -> BenchData:
    """Give every tenant ``domains_per_tenant`` domains (default 3: 10 bookings, see the module docstring),
    their bookings and registered users. Returns the counts."""
    if domains_per_tenant < 1:
        raise ValueError("domains_per_tenant must be at least 1")
    from .demo import ensure_catalogue

    started = time.perf_counter()
    tenant_ids = list(tenant_ids)
    types = ensure_catalogue()
    today = berlin_today()
    deployed_on = today - timedelta(days=90)
    result = BenchData(tenant_ids=tenant_ids)
    for chunk in _batches(tenant_ids, max(1, batch_size // domains_per_tenant)):
        with transaction.atomic():
            domains = Domain.objects.bulk_create(
                [
                    Domain(
                        tenant_id=tenant_id,
                        name=f"{prefix}-{tenant_id}-{slot}.example",
                        unicode_name=f"{prefix}-{tenant_id}-{slot}.example",
                    )
                    for tenant_id in chunk
                    for slot in range(domains_per_tenant)
                ],
                batch_size=batch_size,
            )
            bookings: list[BookedService] = []
            users: list[RegisteredUser] = []
            deployed: list[int] = []
            for index, domain in enumerate(domains):
                tenant_id, position = chunk[index // domains_per_tenant], index % domains_per_tenant
                slot = position % len(LAYOUT)
                still_ordered = slot == 2 and (tenant_id + position // len(LAYOUT)) % 10 == 0
                if not still_ordered:
                    deployed.append(domain.pk)
                    users.append(RegisteredUser(domain=domain, email=f"info@{domain.name}"))
                for code in LAYOUT[slot]:
                    booking = BookedService(domain=domain, service_type=types[code])
                    if not still_ordered:
                        booking.status = ServiceStatus.DEPLOYED
                        booking.deployed_on = deployed_on
                        booking.billing_start = deployed_on
                    if code == "archive" and tenant_id % 7 == 0:
                        booking.status = ServiceStatus.ENDING
                        booking.end_date = default_end_date(today)
                    bookings.append(booking)
            for booking, number in zip(bookings, next_numbers("service", len(bookings)), strict=True):
                booking.number = number
            BookedService.objects.bulk_create(bookings, batch_size=batch_size)
            RegisteredUser.objects.bulk_create(users, batch_size=batch_size)
            Domain.objects.filter(pk__in=deployed).update(deployed_at=timezone.now())
        result.domains += len(domains)
        result.services += len(bookings)
        result.registered_users += len(users)
    result.seconds = time.perf_counter() - started
    return result


def create_bench_data(
    n: int,
    *,
    partner,
    customer,
    prefix: str = "bench",
    name: str = "Bench tenant",
    batch_size: int = 5000,
) -> BenchData:
    """Create ``n`` production tenants of ``customer`` resold by ``partner`` (its members reach them as
    reseller), then 3n domains and 10n bookings. Returns ids and counts."""

    started = time.perf_counter()
    numbers = next_numbers("tenant", n)
    tenant_ids: list[int] = []
    for chunk in _batches(numbers, batch_size):
        with transaction.atomic():
            created = Tenant.objects.bulk_create(
                [
                    Tenant(number=number, name=f"{name} {number}", account=customer, reseller=partner)
                    for number in chunk
                ],
                batch_size=batch_size,
            )
            tenant_ids.extend(tenant.pk for tenant in created)
    result = add_domains_and_services(tenant_ids, prefix=prefix, batch_size=batch_size)
    result.seconds = time.perf_counter() - started
    return result
