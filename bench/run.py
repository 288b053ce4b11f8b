#!/usr/bin/env python
"""Benchmark runner (PERF, TEN-3): ``make bench`` or ``.venv/bin/python bench/run.py [options]``.

Builds (once; ``--rebuild`` forces it) the benchmark world of bench/world.py in its own database —
``BENCH_DATABASE_URL`` (e.g. ``postgres://postgres@127.0.0.1:5432/portal_bench``), default the SQLite file
``var/bench.sqlite3`` — then runs every case of bench/cases.py (and bench/cases_*.py) with Django's test
Client: each measured request alternates with a request to its bare baseline view (same row count, one
query) so both see the same machine state, and the table reports p50/p95 and query counts of both and
their RATIO. The target is a ratio of at most 1.5 (``--fail-over`` exits 1 above it).

Settings are the project's (DEBUG on while Django starts, so static files need no manifest), then DEBUG is
switched off for the measurement so nothing records queries except the one request per case that counts
them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="timed requests per case (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per case first")
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--rebuild", action="store_true", help="build the world again from scratch")
    parser.add_argument("--only", default="", help="run only cases whose name contains this text")
    parser.add_argument("--sql", action="store_true", help="print each measured request's queries")
    parser.add_argument("--explain", action="store_true", help="print the query plans of those queries")
    parser.add_argument("--json", dest="json_path", help="also write the results to this JSON file")
    parser.add_argument("--fail-over", action="store_true", help=f"exit 1 if a ratio exceeds {TARGET_RATIO}")
    return parser.parse_args(argv)


def configure() -> str:
    sys.path.insert(0, str(ROOT))
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["AXES_ENABLED"] = "0"
    os.environ["DEBUG"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    return database_url


def prepare_database(args: argparse.Namespace) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from bench import world

    if args.rebuild and connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    if not args.rebuild and world.is_built(args.tenants, args.accounts):
        print("Benchmark world: reusing the existing one (--rebuild to build it again)")
        return world.load()
    if connection.vendor != "sqlite" or not args.rebuild:
        call_command("flush", interactive=False, verbosity=0)
    print(f"Benchmark world: building {args.tenants} tenants over {args.accounts} accounts …")
    built = world.build(tenants=args.tenants, accounts=args.accounts)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return built


def load_cases() -> list:
    from bench import cases

    for path in sorted((ROOT / "bench").glob("cases_*.py")):
        importlib.import_module(f"bench.{path.stem}")
    return cases.CASES


def count_rows(response, api: bool) -> int:
    if api:
        body = response.json()
        return len(body["results"] if isinstance(body, dict) else body)
    html = response.content.decode()
    bodies = re.findall(r"<tbody[^>]*>(.*?)</tbody>", html, flags=re.S)
    return sum(len(re.findall(r"<tr[\s>]", body)) for body in bodies)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def explain(sql: str) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        try:
            cursor.execute(prefix + sql)
        except Exception as exc:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
            return [f"(no plan: {exc})"]
        return [" ".join(str(column) for column in row) for row in cursor.fetchall()]


def run_case(case, users: dict, args: argparse.Namespace) -> dict:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(**{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in case.headers.items()})
    client.force_login(users[case.user])
    first = client.get(case.url)
    if first.status_code != 200:
        raise SystemExit(f"{case.name}: {case.url} answered {first.status_code}")
    rows = count_rows(first, case.is_api)
    baseline_url = case.baseline.url(rows=rows, api=case.is_api)
    baseline_first = client.get(baseline_url)
    if baseline_first.status_code != 200 or count_rows(baseline_first, case.is_api) != rows:
        raise SystemExit(f"{case.name}: the bare view did not return {rows} rows ({baseline_url})")

    # Every request starts with reset_queries() (request_started): empty the log first so the
    # captured slice starts at 0 and holds exactly one request's queries.
    # captured_queries reads the live log, so copy it before the next request resets the log again.
    reset_queries()
    with CaptureQueriesContext(connection) as context:
        client.get(case.url)
    measured_queries = list(context.captured_queries)
    reset_queries()
    with CaptureQueriesContext(connection) as context:
        client.get(baseline_url)
    baseline_queries = list(context.captured_queries)

    for _ in range(args.warmup):
        client.get(case.url)
        client.get(baseline_url)
    measured: list[float] = []
    baseline: list[float] = []
    for _ in range(args.requests):
        started = time.perf_counter()
        client.get(case.url)
        measured.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        client.get(baseline_url)
        baseline.append((time.perf_counter() - started) * 1000)

    result = {
        "case": case.name,
        "url": case.url,
        "baseline_url": baseline_url,
        "rows": rows,
        "p50_ms": percentile(measured, 50),
        "p95_ms": percentile(measured, 95),
        "bare_p50_ms": percentile(baseline, 50),
        "bare_p95_ms": percentile(baseline, 95),
        "queries": len(measured_queries),
        "bare_queries": len(baseline_queries),
        "sql": [(float(q["time"]) * 1000, q["sql"]) for q in measured_queries],
    }
    result["sql_ms"] = sum(ms for ms, _sql in result["sql"])
    result["bare_sql_ms"] = sum(float(q["time"]) * 1000 for q in baseline_queries)
    result["ratio_p50"] = result["p50_ms"] / result["bare_p50_ms"]
    result["ratio_p95"] = result["p95_ms"] / result["bare_p95_ms"]
    result["ratio_queries"] = result["queries"] / max(result["bare_queries"], 1)
    return result


def print_table(results: list[dict], header: str) -> None:
    columns = [
        ("case", "case", "{}"),
        ("rows", "rows", "{}"),
        ("p50 ms", "p50_ms", "{:.1f}"),
        ("p95 ms", "p95_ms", "{:.1f}"),
        ("bare p50", "bare_p50_ms", "{:.1f}"),
        ("bare p95", "bare_p95_ms", "{:.1f}"),
        ("ratio p50", "ratio_p50", "{:.2f}"),
        ("ratio p95", "ratio_p95", "{:.2f}"),
        ("queries", "queries", "{}"),
        ("bare q", "bare_queries", "{}"),
        ("ratio q", "ratio_queries", "{:.1f}"),
        ("sql ms", "sql_ms", "{:.1f}"),
        ("bare sql", "bare_sql_ms", "{:.1f}"),
    ]
    cells = [[fmt.format(result[key]) for _title, key, fmt in columns] for result in results]
    verdicts = ["ok" if max(r["ratio_p50"], r["ratio_p95"]) <= TARGET_RATIO else "OVER" for r in results]
    titles = [title for title, _key, _fmt in columns] + [f"≤{TARGET_RATIO}"]
    rows = [row + [verdict] for row, verdict in zip(cells, verdicts, strict=True)]
    widths = [max(len(str(x)) for x in column) for column in zip(titles, *rows, strict=True)]
    print()
    print(header)
    print("(sql ms: time inside the database during the one request whose queries were counted)")

    def line(values):
        return (
            "| "
            + " | ".join(
                str(v).ljust(w) if i == 0 else str(v).rjust(w)
                for i, (v, w) in enumerate(zip(values, widths, strict=True))
            )
            + " |"
        )

    print(line(titles))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database_url = configure()
    from django.conf import settings
    from django.db import connection
    from django.urls import clear_url_caches

    from accounts.models import User

    world = prepare_database(args)
    settings.ROOT_URLCONF = "bench.urls"
    clear_url_caches()
    settings.DEBUG = False

    cases = [c for factory in load_cases() for c in factory(world) if args.only.lower() in c.name.lower()]
    users = {u.email: u for u in User.objects.filter(email__in={c.user for c in cases})}
    results = []
    for case in cases:
        print(f"  {case.name} …", flush=True)
        results.append(run_case(case, users, args))

    from tenants.models import Tenant

    header = (
        f"{Tenant.objects.count()} tenants, {connection.vendor} ({database_url.split('@')[-1]}), "
        f"{args.requests} requests per case, target ratio ≤ {TARGET_RATIO}"
    )
    print_table(results, header)
    if args.sql or args.explain:
        for result in results:
            print(f"\n{result['case']}: {result['queries']} queries")
            for ms, sql in result["sql"]:
                print(f"  {ms:7.1f} ms  {sql[:400]}")
                if args.explain:
                    for plan in explain(sql):
                        print(f"             {plan}")
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps({"header": header, "results": results}, indent=2))
    over = [r for r in results if max(r["ratio_p50"], r["ratio_p95"]) > TARGET_RATIO]
    return 1 if over and args.fail_over else 0


if __name__ == "__main__":
    sys.exit(main())
