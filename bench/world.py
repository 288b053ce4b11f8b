"""The benchmark world (PERF, TEN-3): 10,000 tenants over 1,000 customer accounts, all created by one partner.

Built with bulk_create in its own database (``BENCH_DATABASE_URL``, default ``var/bench.sqlite3``), then
``access.rebuild_all()`` writes the guardian rows the partner's role groups hold on every tenant, exactly as
``manage.py rebuild_permissions`` would. Apps that add tenant data (domains, booked services, licences)
append a builder to ``WORLD_BUILDERS``: ``builder(world: dict) -> None``, run after the base world, so the
list pages are measured with their real columns filled.
"""

from __future__ import annotations

import time
from collections.abc import Callable

PARTNER_EMAIL = "bench-partner@bench.example"
PARTNER_NUMBER = "K-900000"
SEARCH_TERM = "Logistik"  # one name in twenty contains it: 500 of 10,000 tenants
COMPANY_WORDS = [
    "Bäckerei", "Logistik", "Autohaus", "Apotheke", "Werkstatt", "Kanzlei", "Praxis", "Verlag",
    "Brauerei", "Gärtnerei", "Reisebüro", "Elektro", "Sanitär", "Optik", "Druckerei", "Möbel",
    "Fahrrad", "Metzgerei", "Immobilien", "Steuerbüro",
]  # fmt: skip
CITIES = ["Hamburg", "Berlin", "München", "Köln", "Bremen", "Leipzig", "Kiel", "Dresden", "Essen", "Mainz"]

WORLD_BUILDERS: list[Callable[[dict], None]] = []


def world_builder(func: Callable[[dict], None]) -> Callable[[dict], None]:
    """Register ``func(world)`` to add app data to the benchmark world (runs once per build)."""
    WORLD_BUILDERS.append(func)
    return func


def is_built(tenants: int, accounts: int) -> bool:
    from accounts.models import Account
    from tenants.models import Tenant

    partner = Account.objects.filter(number=PARTNER_NUMBER).first()
    return (
        partner is not None
        and Tenant.objects.filter(reseller=partner).count() == tenants
        and Account.objects.filter(reseller=partner).count() == accounts
    )


def load() -> dict:
    from accounts.models import Account, User

    return {
        "partner": Account.objects.get(number=PARTNER_NUMBER),
        "partner_user": User.objects.get(email=PARTNER_EMAIL),
    }


def build(*, tenants: int, accounts: int, log=print) -> dict:
    """Create the world in an empty database; returns it with the timings of each step."""
    from django.db import transaction

    from accounts.models import Account, Membership, User
    from portal import access
    from tenants.models import Tenant

    started = time.perf_counter()
    with transaction.atomic():
        partner = Account.objects.create(
            number=PARTNER_NUMBER,
            name="Bench Partner GmbH",
            kind="partner",
            purpose="production",
            contact_email="kontakt@bench.example",
        )
        user = User.objects.create_user(email=PARTNER_EMAIL, password="bench", name="Bench Partner")
        Membership.objects.bulk_create(
            [Membership(user=user, account=partner, role=role) for role in ("admin", "sales")]
        )
        customers = Account.objects.bulk_create(
            [
                Account(
                    number=f"K-{910000 + i}",
                    name=f"{COMPANY_WORDS[i % len(COMPANY_WORDS)]} {CITIES[i % len(CITIES)]} {i:04d} GmbH",
                    kind="customer",
                    purpose="production",
                    contact_email=f"owner{i}@customer{i}.example",
                    reseller=partner,
                )
                for i in range(accounts)
            ],
            batch_size=500,
        )
        if not all(c.pk for c in customers):  # backends without RETURNING ids on bulk insert
            customers = list(Account.objects.filter(reseller=partner).order_by("number"))
        per_account = max(tenants // accounts, 1)
        Tenant.objects.bulk_create(
            [
                Tenant(
                    number=f"T-{100000 + i}",
                    name=f"{COMPANY_WORDS[(i * 7) % len(COMPANY_WORDS)]} {CITIES[i % len(CITIES)]} Mandant {i:05d}",
                    environment="production",
                    account=customers[min(i // per_account, accounts - 1)],
                    reseller=partner,
                )
                for i in range(tenants)
            ],
            batch_size=1000,
        )
    log(f"  {accounts} accounts, {tenants} tenants: {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    result = access.rebuild_all()
    log(f"  access.rebuild_all(): {result['added']} guardian rows in {time.perf_counter() - started:.1f}s")
    world = load()
    for builder in WORLD_BUILDERS:
        started = time.perf_counter()
        builder(world)
        log(f"  {builder.__module__}.{builder.__name__}: {time.perf_counter() - started:.1f}s")
    return world
