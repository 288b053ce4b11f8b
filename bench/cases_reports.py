"""Benchmark of the licence report's CSV (REP-1): ``--csv-licenses`` licences (default 1,000,000) streamed
through the real view in a child process (bench/csv_export.py), against ``psql`` running ``COPY (<the same
query>) TO STDOUT WITH CSV`` into /dev/null. Targets: peak RSS of the exporting process < 200 MB, and at least
50 % of psql's rows per second. PostgreSQL only (COPY); on SQLite the job reports that it was skipped.

The licences are written once with one ``INSERT … SELECT generate_series`` (issuer: the bench partner,
product ``BENCH-CSV``, holders: the bench customers; every tenth customer name starts with ``=`` so the formula
quoting is exercised); a changed ``--csv-licenses`` rewrites them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from .cases import job, job_result
from .world import PARTNER_EMAIL

ARTICLE = "BENCH-CSV"
RSS_LIMIT_MB = 200
SPEED_TARGET = 0.5


def _ensure_licences(world: dict, count: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Account
    from licenses.models import License, Product

    product, _ = Product.objects.get_or_create(
        article_number=ARTICLE, defaults={"name": "Bench CSV Kasse", "product_code": "BCSV"}
    )
    if License.objects.filter(product=product).count() == count:
        return
    partner = world["partner"]
    customers = list(Account.objects.filter(reseller=partner).order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    with transaction.atomic():
        License.objects.filter(product=product).delete()
        Account.objects.filter(pk__in=customers[::10]).exclude(name__startswith="=").update(
            name=django_concat("=", "name")
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO licenses_license (key, kind, status, product_id, holder_id, issuer_id, quantity,
                                              issued_at, created_by_id)
                SELECT 'BCSV' || lpad(i::text, 10, '0'),
                       (ARRAY['full', 'demo', 'subscription', 'nfr'])[1 + i %% 4],
                       (ARRAY['active', 'active', 'active', 'cancelled', 'revoked', 'expired'])[1 + i %% 6],
                       %s, (%s::bigint[])[1 + i %% %s], %s, 1 + i %% 5,
                       %s - make_interval(mins => i), NULL
                FROM generate_series(1, %s) AS i
                """,
                [product.pk, customers, len(customers), partner.pk, timezone.now(), count],
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE licenses_license")
    print(f"  {count:,} bench licences written in {time.perf_counter() - started:.0f}s")


def django_concat(prefix: str, field: str):
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    return Concat(Value(prefix), F(field))


def _psql_copy_seconds(sql: str) -> float:
    from django.db import connection

    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    command = [
        "psql", "-X", "-q", "-h", settings.get("HOST") or "127.0.0.1", "-p", str(settings.get("PORT") or 5432),
        "-U", settings.get("USER") or "postgres", "-d", settings["NAME"], "-c", sql,
    ]  # fmt: skip
    with open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=sink, env=env)  # noqa: S603 - our own command line
        return time.perf_counter() - started


def _export(query: str) -> dict:
    script = os.path.join(os.path.dirname(__file__), "csv_export.py")
    env = dict(os.environ)  # DEBUG=1 as the runner starts Django; the script switches DEBUG off itself
    out = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, script, PARTNER_EMAIL, query], check=True, capture_output=True, env=env, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@job("licence CSV, 1,000,000 licences")
def licence_csv(world: dict, args) -> list[dict]:
    from django.db import connection

    count = getattr(args, "csv_licenses", 1_000_000)
    name = f"licence CSV, {count:,} licences"
    if connection.vendor != "postgresql":
        return [
            job_result(
                name, rows=0, timings=[0.0], queries=0, baseline="psql COPY", base_timings=[0.0],
                base_queries=0, target="PostgreSQL only", ok=True, note="skipped: COPY needs PostgreSQL",
            )
        ]  # fmt: skip
    from accounts.models import User
    from portal.csv import copy_sql
    from reports import selectors

    _ensure_licences(world, count)
    query = f"product={ARTICLE}&format=csv"
    user = User.objects.get(email=PARTNER_EMAIL)
    _filterset, queryset = selectors.license_report(user, {"product": ARTICLE})
    sql, params = copy_sql(selectors.license_rows(queryset))
    literal = connection.ops.compose_sql(sql, params)
    runs = max(1, min(args.runs, 3))
    timings, base_timings, peaks = [], [], []
    rows = 0
    for _ in range(runs):
        base_timings.append(_psql_copy_seconds(literal) * 1000)
        result = _export(query)
        timings.append(result["seconds"] * 1000)
        peaks.append(result["peak_rss_kb"] / 1024)
        rows = result["rows"]
    row = job_result(
        name,
        rows=rows,
        timings=timings,
        queries=1,
        baseline="psql: COPY (same query) TO STDOUT WITH CSV",
        base_timings=base_timings,
        base_queries=1,
        target=f"≥{SPEED_TARGET:.0%} of psql's rows/s, peak RSS <{RSS_LIMIT_MB} MB",
        ok=False,
    )
    speed = row["base_ms"] / row["ms"] if row["ms"] else 0.0
    peak = max(peaks)
    row["ok"] = rows == count and speed >= SPEED_TARGET and peak < RSS_LIMIT_MB
    row["note"] = (
        f"{rows * 1000 / row['ms']:,.0f} rows/s through the view vs {rows * 1000 / row['base_ms']:,.0f} rows/s "
        f"psql = {speed:.0%}; peak RSS of the exporting process {peak:.0f} MB "
        f"(after Django set-up {result['rss_after_setup_kb'] / 1024:.0f} MB)"
    )
    return [row]
