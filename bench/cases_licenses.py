"""Benchmark data, cases and jobs of the licences app (LIC-3, LIC-6, SUB-4, issue 11).

World: the bench partner (admin + sales) is an authorized reseller and issued ``--licenses`` licences
(default 1,000,000 on PostgreSQL, 20,000 on SQLite) to its 1,000 customers, written set-based.

Cases: the reseller's licence list (API and HTML, newest first, keyset pages) against a bare query over the same
rows (the licences by the plain ``issuer`` foreign key); the query count must not depend on the rows.

Job "check-in throughput": ``--check-ins`` signed check-ins (POST, key lookup, throttle counters, signature)
against as many requests to a bare view that looks the same key up (one query, no signature); requests per
second compared, target ≥ 50 % of the bare view's (measured in-process with Django's test client — ``wrk`` is
not needed for a ratio, and both sides run through the same client).

Job "renewal": ``--due-subscriptions`` due monthly subscriptions (default 100,000 on PostgreSQL); first one
plain ``UPDATE`` moving exactly those periods (the baseline), then — the rows reset — ``renew_due_subscriptions``
(renewal rows with their unique guard, periods, licence expiry). Target: at most ten times the plain UPDATE.
Afterwards the job removes its subscriptions again.
"""

from __future__ import annotations

import datetime as dt
import json
import time

from .cases import Bare, Case, bare_query, case, job, job_result, measure
from .world import PARTNER_EMAIL, PARTNER_NUMBER, vacuum_analyze, world_builder

GROUP_CODE = "bench-group"
ARTICLE = "BENCH-1"
RENEWAL_ARTICLE = "BENCH-RENEW"


def _licenses_built(world: dict) -> bool:
    from licenses.models import License

    return License.objects.filter(issuer=world["partner"]).count() == world["options"]["licenses"]


def _catalogue(world: dict):
    from licenses.models import Product, ProductGroup, ResellerAuthorization

    group, _ = ProductGroup.objects.get_or_create(
        code=GROUP_CODE,
        defaults={
            "name": "Bench",
            "allowed_kinds": ["full", "demo", "subscription", "nfr"],
            "terms": ["monthly", "annual"],
        },
    )
    product, _ = Product.objects.get_or_create(
        article_number=ARTICLE,
        defaults={"name": "Bench Suite", "product_code": "BENCH", "features": ["a", "b"]},
    )
    product.groups.add(group)
    ResellerAuthorization.objects.get_or_create(
        reseller=world["partner"],
        group=group,
        defaults={"kinds": ["full", "subscription"], "terms": ["monthly"]},
    )
    return group, product


@world_builder(built=_licenses_built)
def add_licenses(world: dict) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Account
    from licenses import keys
    from licenses.models import License

    count = world["options"]["licenses"]
    group, product = _catalogue(world)
    customers = list(
        Account.objects.filter(reseller=world["partner"]).order_by("pk").values_list("pk", flat=True)
    )
    now = timezone.now()
    with transaction.atomic():
        License.objects.filter(issuer=world["partner"]).delete()
        if connection.vendor == "postgresql":
            # Set-based: a million rows in one statement. The keys are unique, checksum-valid keys drawn from
            # the row number (format_key over its Crockford digits), so lookups behave as for real keys.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {License._meta.db_table}
                        (key, kind, status, product_id, group_id, holder_id, issuer_id, quantity, issued_at)
                    SELECT 'B' || lpad(g::text, 24, '0'), 'full', 'active', %s, %s,
                           (%s::bigint[])[1 + g %% %s], %s, 1, %s - (g || ' seconds')::interval
                      FROM generate_series(1, %s) g
                    """,  # noqa: S608 - table name from _meta
                    [product.pk, group.pk, customers, len(customers), world["partner"].pk, now, count],
                )
            # Real keys for the first thousand (the check-in job uses them).
            rows = list(
                License.objects.filter(issuer=world["partner"])
                .order_by("pk")
                .values_list("pk", flat=True)[:1000]
            )
            License.objects.bulk_update(
                [License(pk=pk, key=keys.generate_key()) for pk in rows], ["key"], batch_size=1000
            )
        else:
            batch = []
            for i in range(count):
                batch.append(
                    License(
                        key=keys.generate_key(),
                        kind="full",
                        status="active",
                        product=product,
                        group=group,
                        holder_id=customers[i % len(customers)],
                        issuer=world["partner"],
                        quantity=1,
                        issued_at=now - dt.timedelta(seconds=i),
                    )
                )
                if len(batch) == 5000:
                    License.objects.bulk_create(batch)
                    batch = []
            License.objects.bulk_create(batch)
    vacuum_analyze(License._meta.db_table)


_PARTNER: dict = {}


@bare_query("reseller_licenses")
def _reseller_licenses(order: str, search: str):
    """The partner's licences newest first by the plain foreign key, with the list's columns (no authority)."""
    from licenses.models import License

    return (
        License.objects.filter(issuer__number=PARTNER_NUMBER)
        .order_by("-issued_at", "-id")
        .values_list(
            "key",
            "product__name",
            "kind",
            "status",
            "holder__number",
            "holder__name",
            "issuer__name",
            "issued_at",
            "expires_at",
        )
    )


@bare_query("license_key")
def _license_key(order: str, search: str):
    from licenses.models import License

    return License.objects.filter(key=search).values_list(
        "key", "status", "kind", "product__article_number", "expires_at"
    )


@case
def reseller_license_list(world: dict) -> list[Case]:
    bare = Bare("reseller_licenses")
    return [
        Case("reseller licences API (newest 50)", "/api/v1/licenses/", bare, PARTNER_EMAIL),
        Case(
            "reseller licences API page_size=200",
            "/api/v1/licenses/?page_size=200",
            bare,
            PARTNER_EMAIL,
        ),
        Case("reseller licences HTML ?scope=issued", "/licenses/?scope=issued", bare, PARTNER_EMAIL),
    ]


@job("check-in throughput")
def check_in_throughput(world: dict, args) -> list[dict]:
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    from licenses.models import License

    n = world["options"]["check_ins"]
    keys_ = list(
        License.objects.filter(issuer=world["partner"], key__contains="-").values_list("key", flat=True)[
            :1000
        ]
    )
    rates = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "license_check_in_key": "1000000/hour",
        "license_check_in_client": "1000000/hour",
    }
    client = Client()
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        bodies = [
            json.dumps({"key": keys_[i % len(keys_)], "fingerprint": "bench", "nonce": f"n{i}"})
            for i in range(n)
        ]
        for body in bodies[:20]:
            client.post("/api/v1/licenses/check-in/", body, content_type="application/json")
            client.get(f"/api/__bench__/bare/license_key/?rows=1&format=json&search={keys_[0]}")
        measured, baseline = [], []
        for i, body in enumerate(bodies):
            started = time.perf_counter()
            response = client.post("/api/v1/licenses/check-in/", body, content_type="application/json")
            measured.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"check-in answered {response.status_code}: {response.content[:200]!r}")
            started = time.perf_counter()
            client.get(f"/api/__bench__/bare/license_key/?rows=1&format=json&search={keys_[i % len(keys_)]}")
            baseline.append((time.perf_counter() - started) * 1000)
        _ms, queries, _ = measure(
            lambda: client.post("/api/v1/licenses/check-in/", bodies[0], content_type="application/json")
        )
        _ms, base_queries, _ = measure(
            lambda: client.get(f"/api/__bench__/bare/license_key/?rows=1&format=json&search={keys_[0]}")
        )
    rate = n / (sum(measured) / 1000)
    base_rate = n / (sum(baseline) / 1000)
    return [
        job_result(
            f"check-in throughput, {n} requests",
            rows=n,
            timings=measured,
            queries=queries,
            baseline="bare key lookup view",
            base_timings=baseline,
            base_queries=base_queries,
            target="≥ 50 % of the bare view's requests/s",
            ok=rate >= 0.5 * base_rate,
            note=f"{rate:.0f} req/s vs {base_rate:.0f} req/s ({rate / base_rate:.0%})",
        )
    ]


def _create_due(world: dict, count: int, day: dt.date):
    """``count`` active monthly subscriptions whose period ended on ``day`` (renewal licences of their own)."""
    from django.db import connection, transaction

    from licenses import keys
    from licenses.models import License, Product, Subscription

    group, _product = _catalogue(world)
    product, _ = Product.objects.get_or_create(
        article_number=RENEWAL_ARTICLE, defaults={"name": "Bench renew", "product_code": "BR"}
    )
    start = day - dt.timedelta(days=31)
    holder = world["partner"].resold_accounts.order_by("pk").first()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    WITH new AS (
                        INSERT INTO {License._meta.db_table}
                            (key, kind, status, product_id, group_id, holder_id, issuer_id, quantity, issued_at)
                        SELECT 'R' || lpad(g::text, 24, '0'), 'subscription', 'active', %s, %s, %s, %s, 1, now()
                          FROM generate_series(1, %s) g
                        RETURNING id
                    )
                    INSERT INTO {Subscription._meta.db_table}
                        (license_id, term, started_on, anchor_day, current_period_start, current_period_end,
                         auto_renew, void_reason)
                    SELECT id, 'monthly', %s, %s, %s, %s, true, '' FROM new
                    """,  # noqa: S608 - table names from _meta
                    [
                        product.pk,
                        group.pk,
                        holder.pk,
                        world["partner"].pk,
                        count,
                        start,
                        start.day,
                        start,
                        day,
                    ],
                )
        else:
            licenses = License.objects.bulk_create(
                [
                    License(
                        key=keys.generate_key(),
                        kind="subscription",
                        status="active",
                        product=product,
                        group=group,
                        holder=holder,
                        issuer=world["partner"],
                        quantity=1,
                        issued_at=dt.datetime.now(dt.UTC),
                    )
                    for _ in range(count)
                ],
                batch_size=2000,
            )
            if not all(lic.pk for lic in licenses):
                licenses = list(License.objects.filter(product=product))
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        license=lic,
                        term="monthly",
                        started_on=start,
                        anchor_day=start.day,
                        current_period_start=start,
                        current_period_end=day,
                    )
                    for lic in licenses
                ],
                batch_size=2000,
            )
    return product


def _remove_due(product) -> None:
    from licenses.models import License, Subscription, SubscriptionRenewal

    SubscriptionRenewal.objects.filter(subscription__license__product=product).delete()
    Subscription.objects.filter(license__product=product).delete()
    License.objects.filter(product=product).delete()


@job("renewal")
def renewal(world: dict, args) -> list[dict]:
    from django.db import connection

    from licenses.models import License, Product, Subscription, SubscriptionRenewal
    from licenses.periods import add_term
    from licenses.services import renew_due_subscriptions

    count = world["options"]["due_subscriptions"]
    day = dt.date(2030, 1, 15)
    stale = Product.objects.filter(article_number=RENEWAL_ARTICLE).first()
    if stale is not None:
        _remove_due(stale)
    product = _create_due(world, count, day)
    tables = (Subscription._meta.db_table, SubscriptionRenewal._meta.db_table, License._meta.db_table)
    try:
        vacuum_analyze(*tables)
        start = day - dt.timedelta(days=31)
        next_end = add_term(day, "monthly", start.day)

        def plain_update() -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {tables[0]} SET current_period_start = current_period_end, current_period_end = %s "  # noqa: S608
                    "WHERE current_period_end <= %s AND auto_renew AND voided_at IS NULL AND ended_on IS NULL",
                    [next_end, day],
                )
                return cursor.rowcount

        base_ms, base_queries, updated = measure(plain_update)
        if updated != count:
            raise SystemExit(f"renewal: the plain UPDATE moved {updated} subscriptions, not {count}")
        Subscription.objects.filter(license__product=product).update(
            current_period_start=start, current_period_end=day
        )
        vacuum_analyze(*tables)
        ms, queries, renewed = measure(lambda: renew_due_subscriptions(day=day))
        if renewed != count:
            raise SystemExit(f"renewal: renew_due_subscriptions() renewed {renewed}, not {count}")
        again_ms, _q, again = measure(lambda: renew_due_subscriptions(day=day))
        if again:
            raise SystemExit("renewal: a second run renewed again")
    finally:
        _remove_due(product)
        vacuum_analyze(*tables)
    return [
        job_result(
            f"renewal, {count} due subscriptions",
            rows=count,
            timings=[ms],
            queries=queries,
            baseline="one plain UPDATE",
            base_timings=[base_ms],
            base_queries=base_queries,
            target="ratio ≤ 10",
            ok=ms <= 10 * base_ms,
            note=f"{ms / count * 1000:.1f} µs per subscription; a second run: {again_ms:.0f} ms, nothing renewed",
        )
    ]
