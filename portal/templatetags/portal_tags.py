"""Template helpers of the ground floor (UI-1): page titles, form fields, query strings."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.http import QueryDict

register = template.Library()


@register.filter
def page_title(value: str) -> str:
    """``<title>``: "Page · Partnerportal", or the portal's name alone — never the name twice."""
    value = " ".join(str(value).split())
    name = settings.PORTAL_NAME
    return f"{value} · {name}" if value and value != name else name


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters replaced (``None``/"" removes one); always starts with
    ``?``. Filters survive paging, sorting, refreshing and exporting."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
