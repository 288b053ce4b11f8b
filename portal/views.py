"""Portal-wide pages: dashboard, account switcher, language, audit trail, error pages. Implements ACC-2, DEL-7, UI-1."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.selectors import accounts_of
from portal.middleware import ACCOUNT_SESSION_KEY
from portal.selectors import audit_events_visible_to, dashboard_for


@login_required
def dashboard(request):
    return render(request, "portal/dashboard.html", dashboard_for(request.user, request.account))


def _next_url(request, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return fallback
    return target


@login_required
@require_POST
def switch_account(request):
    account = accounts_of(request.user).filter(pk=request.POST.get("account")).first()
    if account is not None:
        request.session[ACCOUNT_SESSION_KEY] = account.number or str(account.pk)
    return redirect("dashboard")


@require_POST
def set_language(request):
    """Switch the UI language; for a logged-in user it is also stored as preferred language (ACC-2)."""
    language = request.POST.get("language", "de")
    if language not in ("de", "en"):
        language = "de"
    if request.user.is_authenticated:
        account_services.set_language(user=request.user, language=language)
    translation.activate(language)
    response = HttpResponseRedirect(translate_url(_next_url(request), language))
    from django.conf import settings

    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
def audit_trail(request):
    events = audit_events_visible_to(request.user)
    tenant = request.GET.get("tenant")
    if tenant:
        events = events.filter(tenant__number=tenant)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "portal/audit.html", {"page": page, "tenant_filter": tenant})


@login_required
def nav_status(request):
    """The bell and the navigation badges, re-read after an htmx action (``portal:changed``) and every minute,
    so counts stay current without a reload (UI-1). The badges travel as out-of-band swaps."""
    from portal.context_processors import navigation

    main, bell = navigation(request)
    if bell is None:
        return HttpResponse(status=204)
    return render(request, "portal/_nav_status.html", {"main_nav": main, "nav_bell": bell})


def _back_url(request) -> str:
    """Where "back" leads from an error page: the page the user came from (same site only), else the overview."""
    referer = request.META.get("HTTP_REFERER") or ""
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        path = referer
        if urlsplit(referer).path != request.path:
            return path
    return ""


def not_found(request, exception=None):
    return render(request, "404.html", {"back_url": _back_url(request)}, status=404)


def forbidden(request, exception=None):
    reason = str(getattr(exception, "detail", "") or exception or "") if exception else ""
    return render(request, "403.html", {"reason": reason, "back_url": _back_url(request)}, status=403)


def favicon(request):
    return HttpResponseRedirect(static("favicon.svg"))
