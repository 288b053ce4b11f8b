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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q

from .world import PARTNER_EMAIL, SEARCH_TERM


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


BARE_QUERIES: dict[str, Callable[[str, str], object]] = {}
CASES: list[Callable[[dict], list[Case]]] = []


def bare_query(name: str):
    """Register ``func(order, search) -> QuerySet`` (of values/values_list rows) as a bare baseline."""

    def register(func):
        BARE_QUERIES[name] = func
        return func

    return register


def case(func: Callable[[dict], list[Case]]) -> Callable[[dict], list[Case]]:
    CASES.append(func)
    return func


# --- tenants (TEN-3) -----------------------------------------------------------------------------------


@bare_query("tenants")
def _tenants(order: str, search: str):
    from tenants.models import Tenant

    queryset = Tenant.objects.all()
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(number__icontains=search))
    return queryset.order_by(order, "pk").values_list("number", "name", "environment", "account__name")


@case
def tenant_list(world: dict) -> list[Case]:
    by_name = Bare("tenants", order="name")
    search = Bare("tenants", order="name", search=SEARCH_TERM)
    return [
        Case("tenants API ?ordering=name", "/api/v1/tenants/?ordering=name", by_name),
        Case("tenants HTML ?sort=name", "/tenants/?sort=name", by_name),
        Case(
            f"tenants API ?search={SEARCH_TERM}",
            f"/api/v1/tenants/?search={SEARCH_TERM}&ordering=name",
            search,
        ),
        Case(f"tenants HTML ?q={SEARCH_TERM}", f"/tenants/?q={SEARCH_TERM}&sort=name", search),
    ]
