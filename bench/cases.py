"""Benchmark cases (PERF, TEN-3) and the bare baseline views they are compared with.

A case is a function ``case(world) -> list[Case]`` decorated with ``@case``. Each ``Case`` names the URL to
measure, the user it runs as and a ``Bare`` baseline: a bare Django view that returns the same number of
rows from ONE query, with no access checks, serializer, filterset or template. The runner requests the
measured URL first, counts its rows, and asks the bare view for exactly that many.

Add a list of your own: put ``bench/cases_<app>.py`` next to this file (imported automatically), register
its bare query with ``@bare_query("name")`` and its cases with ``@case``. Example::

    @bare_query("licenses")
    def _licenses(order: str, search: str):
        return License.objects.order_by(order).values_list("key", "status")

    @case
    def license_list(world):
        return [Case("licences API", "/api/v1/licenses/?ordering=key", Bare("licenses", order="key"))]

Background work (a Celery task's body, a sweep) is a *job*: ``@job("name", …)`` registers
``func(world, args) -> list[dict]`` (one dict per table row, see ``job_result``); the runner calls it in
this process and prints the jobs' table. ``measure()`` times a callable and counts its queries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q

from .world import PARTNER_EMAIL, PARTNER_NUMBER, SEARCH_TERM


@dataclass(frozen=True)
class Bare:
    """The baseline: ``BARE_QUERIES[query](order, search)`` sliced to the measured row count."""

    query: str
    order: str = "pk"
    search: str = ""

    def url(self, *, rows: int, api: bool) -> str:
        # Under /api/ the bare view passes the same middleware as the API (no HTML account resolution);
        # elsewhere the same as the HTML pages. Either way only the view's own work differs.
        prefix = "/api/__bench__/bare/" if api else "/__bench__/bare/"
        params = {"rows": rows, "order": self.order, "format": "json" if api else "html"}
        if self.search:
            params["search"] = self.search
        return f"{prefix}{self.query}/?{urlencode(params)}"


@dataclass(frozen=True)
class Case:
    name: str
    url: str
    baseline: Bare
    user: str = PARTNER_EMAIL
    headers: dict = field(default_factory=dict)

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")


@dataclass(frozen=True)
class Job:
    """Background work measured in this process. ``names`` are its table rows (``--only`` matches them)."""

    names: tuple[str, ...]
    func: Callable

    def __call__(self, world: dict, args) -> list[dict]:
        return self.func(world, args)


BARE_QUERIES: dict[str, Callable[[str, str], object]] = {}
CASES: list[Callable[[dict], list[Case]]] = []
JOBS: list[Job] = []


def bare_query(name: str):
    """Register ``func(order, search) -> QuerySet`` (of values/values_list rows) as a bare baseline."""

    def register(func):
        BARE_QUERIES[name] = func
        return func

    return register


def case(func: Callable[[dict], list[Case]]) -> Callable[[dict], list[Case]]:
    CASES.append(func)
    return func


def job(*names: str):
    """Register ``func(world, args) -> list[dict]`` as a job whose table rows are ``names``."""

    def register(func):
        JOBS.append(Job(tuple(names), func))
        return func

    return register


def measure(func: Callable[[], object], *, count_queries: bool = True) -> tuple[float, int, object]:
    """Run ``func()`` once: (wall milliseconds, queries it sent — 0 if not counted, its result)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not count_queries:
        started = time.perf_counter()
        result = func()
        return (time.perf_counter() - started) * 1000, 0, result
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = func()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, len(queries), result


def job_result(
    name: str,
    *,
    rows: int,
    timings: list[float],
    queries: int,
    baseline: str,
    base_timings: list[float],
    base_queries: int,
    target: str,
    ok: bool,
    note: str = "",
) -> dict:
    """One row of the jobs' table: medians of the timed runs (ms) of the job and of its baseline."""
    return {
        "job": name,
        "rows": rows,
        "runs": len(timings),
        "ms": sorted(timings)[(len(timings) - 1) // 2],
        "max_ms": max(timings),
        "queries": queries,
        "baseline": baseline,
        "base_ms": sorted(base_timings)[(len(base_timings) - 1) // 2],
        "base_queries": base_queries,
        "target": target,
        "ok": ok,
        "note": note,
    }


# --- tenants (TEN-3) -----------------------------------------------------------------------------------


def _live_count(model, tenant_path: str, **filters):
    """``COALESCE((SELECT COUNT(*) … WHERE <tenant_path> = tenant.id), 0)``: the per-row count the selector
    uses (an index-only count on PostgreSQL), so both sides sort the same rows by the same numbers."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    rows = model.objects.filter(**{tenant_path: OuterRef("pk")}, **filters).order_by()
    counted = rows.values(tenant_path).annotate(total=Count("*")).values("total")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def bare_tenants(queryset, order: str, search: str):
    """The list's rows and columns (with the live domain and service counts) of ``queryset``: one query,
    no access check, no filterset, serializer or template."""
    from tenants.models import LIVE_SERVICE_STATUSES, BookedService, Domain

    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(number__icontains=search))
    queryset = queryset.annotate(
        domains_count=_live_count(Domain, "tenant", released_at__isnull=True),
        services_count=_live_count(BookedService, "domain__tenant", status__in=LIVE_SERVICE_STATUSES),
    )
    return queryset.order_by(order, "pk").values_list(
        "number", "name", "environment", "account__name", "domains_count", "services_count"
    )


@bare_query("tenants")
def _tenants(order: str, search: str):
    """The partner's tenants by the plain foreign key (the rows its list shows through the authority)."""
    from tenants.models import Tenant

    return bare_tenants(Tenant.objects.filter(reseller__number=PARTNER_NUMBER), order, search)


def tenant_cases(label: str, user: str, bare: str) -> list[Case]:
    """The tenant list as ``user`` sees it (API and HTML; by name, by services count, searched) against the
    bare query ``bare`` over the same rows."""
    by_name = Bare(bare, order="name")
    by_services = Bare(bare, order="-services_count")
    search = Bare(bare, order="-services_count", search=SEARCH_TERM)
    return [
        Case(f"{label} API ?ordering=name", "/api/v1/tenants/?ordering=name", by_name, user),
        Case(f"{label} HTML ?sort=name", "/tenants/?sort=name", by_name, user),
        Case(
            f"{label} API ?ordering=-services_count",
            "/api/v1/tenants/?ordering=-services_count",
            by_services,
            user,
        ),
        Case(f"{label} HTML ?sort=-services_count", "/tenants/?sort=-services_count", by_services, user),
        Case(
            f"{label} API ?search={SEARCH_TERM}&ordering=-services_count",
            f"/api/v1/tenants/?search={SEARCH_TERM}&ordering=-services_count",
            search,
            user,
        ),
        Case(
            f"{label} HTML ?q={SEARCH_TERM}&sort=-services_count",
            f"/tenants/?q={SEARCH_TERM}&sort=-services_count",
            search,
            user,
        ),
    ]


@case
def tenant_list(world: dict) -> list[Case]:
    return [
        *tenant_cases("tenants", PARTNER_EMAIL, "tenants"),
        # Four times the rows, the same queries (TEN-3: constant regardless of rows).
        Case(
            "tenants API ?page_size=200&ordering=-services_count",
            "/api/v1/tenants/?page_size=200&ordering=-services_count",
            Bare("tenants", order="-services_count"),
        ),
    ]
