#!/usr/bin/env python
"""Benchmark runner (PERF, TEN-3): ``make bench`` or ``.venv/bin/python bench/run.py [options]``.

Builds (once; ``--rebuild`` forces it, a changed size rebuilds it) the benchmark world of bench/world.py in
its own database — ``BENCH_DATABASE_URL`` (e.g. ``postgres://postgres@127.0.0.1:5432/portal_bench``), default
the SQLite file ``var/bench.sqlite3`` — then runs every case of bench/cases.py (and bench/cases_*.py):

- request cases, with Django's test Client: each measured request alternates with a request to its bare
  baseline view (same rows, one query) so both see the same machine state; the first table reports p50/p95
  and query counts of both and their RATIO (target ≤ 1.5; ``--fail-over`` exits 1 above it);
- jobs (background work run synchronously in this process: the consistency check, the expiry sweep), each
  against its own baseline; the second table reports wall time, query count, ratio and the job's target.

``--only TEXT`` runs the cases and jobs whose name contains TEXT (``--only sweep``, ``--only caretaker``);
the sizes (``--tenants``, ``--grants``, ``--due-grants``, ``--check-domains``) pick the scale. Examples::

    make bench BENCH_ARGS="--only 'tenants API' --requests 50"
    make bench BENCH_ARGS="--only sweep --due-grants 20000"

Settings are the project's (DEBUG on while Django starts, so static files need no manifest), then DEBUG is
switched off for the measurement so nothing records queries except the one request per case that counts
them. Celery tasks that services enqueue after commit go to an in-memory broker (no worker, no Redis).
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
    parser.add_argument("--requests", type=int, default=60, help="timed requests per case (default 60)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per case first")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per job (the sweep runs once)")
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--grants", type=int, default=5_000, help="active grants of the bench caretaker")
    parser.add_argument(
        "--due-grants",
        type=int,
        help="grants the expiry sweep ends (default 100,000; 5,000 on SQLite, where the sweep's guardian "
        "DELETE does not use the batch's grants as its driving index and grows quadratically)",
    )
    parser.add_argument("--check-domains", type=int, default=500, help="domains of the checked tenant")
    parser.add_argument(
        "--licenses",
        type=int,
        help="licences the bench partner issued (default 1,000,000 on PostgreSQL, 20,000 on SQLite)",
    )
    parser.add_argument(
        "--due-subscriptions",
        type=int,
        help="subscriptions the renewal job renews (default 100,000 on PostgreSQL, 5,000 on SQLite)",
    )
    parser.add_argument("--check-ins", type=int, default=500, help="check-in requests timed (and bare ones)")
    parser.add_argument(
        "--csv-licenses", type=int, default=1_000_000, help="licences the licence-CSV job streams (REP-1)"
    )
    parser.add_argument(
        "--support-accounts", type=int, default=100_000, help="accounts in total for the support lookup"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the world again from scratch")
    parser.add_argument(
        "--only", default="", help="run only the cases and jobs whose name contains this text"
    )
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
    # Tasks enqueued after commit (notices, the check) stay in this process: nothing to clean up afterwards.
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    import django

    django.setup()
    return database_url


def world_options(args: argparse.Namespace) -> dict:
    from django.db import connection

    due_grants = args.due_grants
    if due_grants is None:
        due_grants = 100_000 if connection.vendor == "postgresql" else 5_000
    postgres = connection.vendor == "postgresql"
    licenses = args.licenses if args.licenses is not None else (1_000_000 if postgres else 20_000)
    due_subscriptions = (
        args.due_subscriptions if args.due_subscriptions is not None else (100_000 if postgres else 5_000)
    )
    return {
        "licenses": licenses,
        "due_subscriptions": due_subscriptions,
        "check_ins": args.check_ins,
        "tenants": args.tenants,
        "accounts": args.accounts,
        "grants": args.grants,
        "due_grants": due_grants,
        "check_domains": args.check_domains,
        "support_accounts": args.support_accounts,
    }


def prepare_database(args: argparse.Namespace) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from bench import world
    from bench.world import vacuum_analyze

    if args.rebuild and connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    options = world_options(args)
    if not args.rebuild and world.is_built(options):
        print("Benchmark world: reusing the existing one (--rebuild to build it again)")
        return world.load(options)
    if connection.vendor != "sqlite" or not args.rebuild:
        call_command("flush", interactive=False, verbosity=0)
    print(f"Benchmark world: building {args.tenants} tenants over {args.accounts} accounts …")
    started = time.perf_counter()
    built = world.build(options)
    vacuum_analyze()
    print(f"Benchmark world: built in {time.perf_counter() - started:.0f}s")
    return built


def load_cases() -> tuple[list, list]:
    """Import bench/cases.py and every bench/cases_*.py (they register cases, jobs and world builders)."""
    from bench import cases

    for path in sorted((ROOT / "bench").glob("cases_*.py")):
        importlib.import_module(f"bench.{path.stem}")
    return cases.CASES, cases.JOBS


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


def log_in(client, user) -> None:
    """A complete log-in: password and, where it applies (issue 10: partner and vendor users), the second
    factor — as the code page leaves the session after a valid code."""
    from accounts.testing import otp_verified

    client.force_login(user)
    otp_verified(client, user)


def run_case(case, users: dict, args: argparse.Namespace) -> dict:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(**{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in case.headers.items()})
    log_in(client, users[case.user])
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


def run_job(job, world: dict, args: argparse.Namespace) -> list[dict]:
    results = job(world, args)
    for result in results:
        result["ratio"] = result["ms"] / result["base_ms"] if result.get("base_ms") else None
    return results


def print_jobs(results: list[dict], header: str) -> None:
    columns = [
        ("job", lambda r: r["job"]),
        ("rows", lambda r: str(r["rows"])),
        ("runs", lambda r: str(r["runs"])),
        ("p50 ms", lambda r: f"{r['ms']:.1f}"),
        ("max ms", lambda r: f"{r['max_ms']:.1f}"),
        ("queries", lambda r: str(r["queries"])),
        ("baseline", lambda r: r["baseline"]),
        ("base ms", lambda r: f"{r['base_ms']:.1f}"),
        ("base q", lambda r: str(r["base_queries"])),
        ("ratio", lambda r: f"{r['ratio']:.2f}" if r["ratio"] is not None else "–"),
        ("target", lambda r: r["target"]),
        ("verdict", lambda r: "ok" if r["ok"] else "OVER"),
    ]
    titles = [title for title, _cell in columns]
    rows = [[cell(result) for _title, cell in columns] for result in results]
    widths = [max(len(str(x)) for x in column) for column in zip(titles, *rows, strict=True)]
    print()
    print(header)

    def line(values):
        cells = (
            str(v).ljust(w) if i in (0, 6, 10) else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        )
        return "| " + " | ".join(cells) + " |"

    print(line(titles))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    for result in results:
        if result.get("note"):
            print(f"  {result['job']}: {result['note']}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database_url = configure()
    from django.conf import settings
    from django.db import connection
    from django.urls import clear_url_caches

    from accounts.models import User

    case_factories, jobs = load_cases()  # before the world: they register its builders
    world = prepare_database(args)
    settings.ROOT_URLCONF = "bench.urls"
    clear_url_caches()
    settings.DEBUG = False

    only = args.only.lower()
    cases = [c for factory in case_factories for c in factory(world) if only in c.name.lower()]
    users = {u.email: u for u in User.objects.filter(email__in={c.user for c in cases})}
    results = []
    started = time.perf_counter()
    for case in cases:
        print(f"  {case.name} …", flush=True)
        results.append(run_case(case, users, args))
    job_results = []
    for job in jobs:
        if only and not any(only in name.lower() for name in job.names):
            continue
        print(f"  {', '.join(job.names)} …", flush=True)
        job_results.extend(run_job(job, world, args))

    from tenants.models import Tenant

    where = f"{connection.vendor} ({database_url.split('@')[-1]})"
    if results:
        header = (
            f"{Tenant.objects.count()} tenants, {where}, "
            f"{args.requests} requests per case, target ratio ≤ {TARGET_RATIO}"
        )
        print_table(results, header)
    if job_results:
        print_jobs(job_results, f"Jobs, run synchronously in this process, {where}")
    print(f"\n(measured in {time.perf_counter() - started:.0f}s)")
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
        Path(args.json_path).write_text(
            json.dumps({"header": where, "results": results, "jobs": job_results}, indent=2, default=str)
        )
    over = [r for r in results if max(r["ratio_p50"], r["ratio_p95"]) > TARGET_RATIO]
    over += [r for r in job_results if not r["ok"]]
    return 1 if over and args.fail_over else 0


if __name__ == "__main__":
    sys.exit(main())
