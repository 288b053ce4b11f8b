"""The portal's URLs plus the bare baseline view the benchmark compares every case with (PERF)."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.utils.html import escape

from .cases import BARE_QUERIES


def bare(request, query: str):
    """One query, no access checks, no serializer or template: the floor a list view is measured against."""
    rows = int(request.GET.get("rows", 50))
    queryset = BARE_QUERIES[query](request.GET.get("order", "pk"), request.GET.get("search", ""))
    data = list(queryset[:rows])
    if request.GET.get("format") == "json":
        return JsonResponse({"count": len(data), "results": [list(row) for row in data]})
    body = "".join("<tr>" + "".join(f"<td>{escape(value)}</td>" for value in row) + "</tr>" for row in data)
    return HttpResponse(f"<!DOCTYPE html><table><tbody>{body}</tbody></table>")


urlpatterns = [
    path("__bench__/bare/<str:query>/", bare),
    path("api/__bench__/bare/<str:query>/", bare),
    path("", include("portal.urls")),
]
