"""The benchmark world (PERF, TEN-3): 10,000 tenants over 1,000 customer accounts, all created by one partner.

Built with bulk_create in its own database (``BENCH_DATABASE_URL``, default ``var/bench.sqlite3``); the partner
reaches every tenant as its reseller (the access authority reads that from ``Tenant.reseller``). Apps that add tenant data (domains, booked services, licences,
caretaker grants) register a builder with ``@world_builder(built=...)`` in their ``bench/cases_<app>.py``:
``builder(world: dict) -> None`` runs after the base world, so the list pages are measured with their real
columns filled; ``built(world) -> bool`` tells whether an existing world already holds that data (at the sizes
in ``world["options"]``), so a changed size or a new builder rebuilds the world instead of measuring a stale
one. ``world["options"]`` holds the sizes the runner was given (tenants, accounts, grants, check_domains, …).
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

WORLD_BUILDERS: list[tuple[Callable[[dict], None], Callable[[dict], bool] | None]] = []


def world_builder(func=None, *, built: Callable[[dict], bool] | None = None):
    """Register ``func(world)`` to add app data to the benchmark world (runs once per build); ``built(world)``
    answers whether an existing world has it. Usable bare (``@world_builder``) or with ``built=``."""

    def register(builder: Callable[[dict], None]) -> Callable[[dict], None]:
        WORLD_BUILDERS.append((builder, built))
        return builder

    return register(func) if func is not None else register


def vacuum_analyze(*tables: str) -> None:
    """Fresh statistics and visibility maps, as autovacuum keeps them in production (PostgreSQL only):
    right after a bulk load, index-only scans would otherwise visit every heap page."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE " + ", ".join(tables) if tables else "VACUUM ANALYZE")


def is_built(options: dict) -> bool:
    from accounts.models import Account
    from tenants.models import Tenant

    partner = Account.objects.filter(number=PARTNER_NUMBER).first()
    if (
        partner is None
        or Tenant.objects.filter(reseller=partner).count() != options["tenants"]
        or Account.objects.filter(reseller=partner).count() != options["accounts"]
    ):
        return False
    world = load(options)
    return all(built(world) for _builder, built in WORLD_BUILDERS if built is not None)


def load(options: dict) -> dict:
    from accounts.models import Account, User

    return {
        "options": dict(options),
        "partner": Account.objects.get(number=PARTNER_NUMBER),
        "partner_user": User.objects.get(email=PARTNER_EMAIL),
    }


def build(options: dict, log=print) -> dict:
    """Create the world in an empty database; returns it with the timings of each step."""
    from django.db import transaction

    from accounts.models import Account, Membership, User
    from tenants.models import Tenant

    tenants, accounts = options["tenants"], options["accounts"]
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
    world = load(options)
    for builder, _built in WORLD_BUILDERS:
        started = time.perf_counter()
        builder(world)
        log(f"  {builder.__module__}.{builder.__name__}: {time.perf_counter() - started:.1f}s")
    return world
