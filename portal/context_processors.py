"""Template context shared by every page: the active account and the account switcher (ACC-2), the main
navigation with ``aria-current`` and the notification bell (UI-1).

The ground floor imports no app: apps add navigation entries with ``register_nav_item`` in their
``AppConfig.ready()``. An entry is ``{"url", "label", "count"}`` plus optionally ``"key"`` (its badge is then
refreshed after htmx actions, see ``portal.views.nav_status``), ``"order"`` (position) and ``"slot"``:
``"main"`` (default, a link in the main navigation) or ``"bell"`` (the notification bell in the header).
"""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"active_account": None, "PORTAL_NAME": settings.PORTAL_NAME}
    # Once per request: templates rendered inside a page with the request (django-tables2's render_table,
    # includes of other apps) run the context processors again, and the navigation counts are queries.
    cached = getattr(request, "_portal_context", None)
    if cached is not None:
        return cached
    main, bell = navigation(request)
    context = {
        "active_account": getattr(request, "account", None),
        "nav_items": main,
        "main_nav": main,
        "nav_bell": bell,
        "SITE_URL": settings.SITE_URL,
        "PORTAL_NAME": settings.PORTAL_NAME,
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
    """Apps add ``func(request) -> list[dict]`` (see the module docstring) shown in the header."""
    _NAV_ITEMS.append(func)


def _core_items(request) -> list[dict]:
    return [
        {"url": reverse("dashboard"), "label": _("Overview"), "order": 0, "exact": True},
        {"url": reverse("tenant_list"), "label": _("Tenants"), "order": 10},
        {"url": reverse("account_list"), "label": _("Accounts"), "order": 20},
        {"url": reverse("audit_trail"), "label": _("Audit trail"), "order": 90},
    ]


def _is_current(request, item: dict) -> bool:
    path = request.path
    if item.get("exact"):
        return path == item["url"]
    return path == item["url"] or path.startswith(item["url"])


def nav_items(request) -> list[dict]:
    return [item for func in _NAV_ITEMS for item in func(request)]


def navigation(request) -> tuple[list[dict], dict | None]:
    """The main navigation (ordered, the current entry marked) and the bell entry, if an app provides one."""
    items = _core_items(request) + nav_items(request)
    bell = next((item for item in items if item.get("slot") == "bell"), None)
    main = sorted(
        (item for item in items if item.get("slot", "main") == "main"), key=lambda i: i.get("order", 50)
    )
    # The longest matching URL is the current page's entry ("/delegations/notifications/" is not "/").
    matching = [item for item in main if _is_current(request, item)]
    current = max(matching, key=lambda item: len(item["url"]), default=None)
    for item in main:
        item["current"] = item is current
    if bell is not None:
        bell["current"] = request.path == bell["url"]
        if bell.get("count") is None:
            bell["count"] = 0
    return main, bell
