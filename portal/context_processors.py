"""Template context shared by every page: the active account and the account switcher (ACC-2)."""

from django.conf import settings


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"active_account": None}
    # Once per request: templates rendered inside a page with the request (django-tables2's render_table,
    # includes of other apps) run the context processors again, and the navigation counts are queries.
    cached = getattr(request, "_portal_context", None)
    if cached is not None:
        return cached
    context = {
        "active_account": getattr(request, "account", None),
        "nav_items": nav_items(request),
        "SITE_URL": settings.SITE_URL,
    }
    for provider in _CONTEXT_PROVIDERS:
        context.update(provider(request))
    request._portal_context = context
    return context


_CONTEXT_PROVIDERS = []


def register_context(func) -> None:
    """Apps add ``func(request) -> dict`` merged into every page's context (accounts: the account switcher)."""
    _CONTEXT_PROVIDERS.append(func)


_NAV_ITEMS = []


def register_nav_item(func) -> None:
    """Apps add ``func(request) -> list[{"url", "label", "count"}]`` shown in the main navigation."""
    _NAV_ITEMS.append(func)


def nav_items(request) -> list[dict]:
    return [item for func in _NAV_ITEMS for item in func(request)]
