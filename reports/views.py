"""Report pages: licence report (REP-1), subscriptions (REP-2), statements (REP-3), destinations and their
delivery log (REP-4). Selectors read (scoped by the authority), services write."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import access
from portal.csv import csv_response, queryset_csv_response
from portal.errors import DomainError
from portal.forms import form_error

from . import selectors, services
from .forms import DestinationForm

PAGE_SIZE = 100


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


@login_required
def index(request):
    return render(
        request,
        "reports/index.html",
        {
            "statement_accounts": selectors.statement_accounts(request.user)[:1],
            "can_destinations": selectors.may_use_destinations(request.user),
        },
    )


@login_required
def license_report(request):
    """REP-1: filters as on the API; ``?format=csv`` streams the same rows (COPY on PostgreSQL)."""
    filterset, queryset = selectors.license_report(request.user, request.GET)
    if _wants_csv(request):
        stamp = timezone.localdate().isoformat()
        return queryset_csv_response(
            f"lizenzen-{stamp}.csv", selectors.license_header(), selectors.license_rows(queryset)
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/licenses.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@login_required
def subscription_report(request):
    """REP-2: active at a cutoff (``?cutoff=YYYY-MM-DD``) or per month pro rata (``?month=YYYY-MM``)."""
    month = selectors.parse_month(request.GET.get("month"))
    cutoff = _date(request.GET.get("cutoff"))
    error = ""
    if request.GET.get("month") and month is None:
        error = _("Enter the month as YYYY-MM.")
    if request.GET.get("cutoff") and cutoff is None:
        error = _("Enter the date as YYYY-MM-DD.")
    if month is None and cutoff is None:
        cutoff = timezone.localdate()
    if month is not None:
        rows = selectors.subscriptions_in_month(request.user, month)
        if _wants_csv(request):
            return csv_response(
                f"abonnements-{month:%Y-%m}.csv", selectors.MONTH_HEADER, selectors.month_csv_rows(rows)
            )
        context = {"month": month, "rows": rows, "share_total": sum(r.share for r in rows)}
    else:
        subs = selectors.active_at(request.user, cutoff)
        if _wants_csv(request):
            return csv_response(
                f"abonnements-{cutoff.isoformat()}.csv",
                selectors.CUTOFF_HEADER,
                selectors.cutoff_csv_rows(subs),
            )
        context = {"cutoff": cutoff, "subscriptions": subs[:1000], "count": subs.count()}
    context["error"] = error
    context["event_labels"] = selectors.EVENT_LABELS
    return render(request, "reports/subscriptions.html", context)


def _statement_context(request):
    accounts = selectors.statement_accounts(request.user)
    number = request.GET.get("reseller") or ""
    month = selectors.parse_month(request.GET.get("month")) or selectors.previous_month()
    reseller = None
    if number:
        reseller = selectors.statement_account(request.user, number)
    elif accounts.count() == 1:
        reseller = accounts.first()
    return accounts, reseller, month


@login_required
def statement(request):
    """REP-3: a reseller's monthly statement (Einzelkostenaufstellung): page, ``?format=csv``, ``?format=pdf``."""
    accounts, reseller, month = _statement_context(request)
    if reseller is None and not accounts.exists():
        raise Http404
    stmt = selectors.statement(reseller, month) if reseller is not None else None
    fmt = request.GET.get("format")
    if stmt is not None and fmt == "csv":
        return csv_response(
            selectors.statement_filename(stmt, "csv"),
            selectors.STATEMENT_HEADER,
            selectors.statement_rows(stmt),
        )
    if stmt is not None and fmt == "pdf":
        response = HttpResponse(selectors.statement_pdf(stmt), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{selectors.statement_filename(stmt, "pdf")}"'
        return response
    return render(
        request,
        "reports/statement.html",
        {"accounts": accounts, "reseller": reseller, "month": month, "statement": stmt},
    )


# --- REP-4 ---------------------------------------------------------------------------------------------------


@login_required
def destination_list(request):
    accounts = selectors.destination_accounts(request.user)
    form = DestinationForm(request.POST or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        account = data.pop("account")
        try:
            destination = services.create_destination(actor=request.user, account=account, **data)
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Destination saved."))
            return redirect("report_destination", pk=destination.pk)
    return render(
        request,
        "reports/destinations.html",
        {
            "destinations": selectors.destinations_visible(request.user),
            "form": form,
            "can_create": accounts.exists(),
        },
    )


def _destination_or_404(request, pk):
    return get_object_or_404(selectors.destinations_visible(request.user), pk=pk)


@login_required
def destination_detail(request, pk):
    destination = _destination_or_404(request, pk)
    may = access.rights(request.user, destination)
    form = None
    if "change" in may:
        form = DestinationForm(
            request.POST or None,
            accounts=None,
            initial={f: getattr(destination, f) for f in services.FIELDS},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.update_destination(actor=request.user, destination=destination, **form.cleaned_data)
            except DomainError as exc:
                form_error(request, form, exc)
            else:
                messages.success(request, _("Destination saved."))
                return redirect("report_destination", pk=destination.pk)
    elif request.method == "POST":
        access.require(request.user, "change", destination)
    deliveries = selectors.deliveries_of(request.user, destination)
    return render(
        request,
        "reports/destination_detail.html",
        {"destination": destination, "form": form, "may": may, "deliveries": deliveries[:100]},
    )


@login_required
@require_POST
def destination_delete(request, pk):
    destination = _destination_or_404(request, pk)
    try:
        services.delete_destination(actor=request.user, destination=destination)
    except DomainError as exc:
        form_error(request, None, exc)
        return redirect("report_destination", pk=pk)
    messages.success(request, _("Destination removed."))
    return redirect("report_destinations")


@login_required
@require_POST
def destination_rotate_secret(request, pk):
    destination = _destination_or_404(request, pk)
    try:
        services.rotate_secret(actor=request.user, destination=destination)
    except DomainError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, _("A new signing secret was created; the old one no longer verifies."))
    return redirect("report_destination", pk=pk)


@login_required
def delivery_detail(request, pk):
    delivery = get_object_or_404(selectors.deliveries_visible(request.user), pk=pk)
    return render(
        request,
        "reports/delivery_detail.html",
        {
            "delivery": delivery,
            "attempts": selectors.attempts_of(delivery),
            "can_resend": access.can(request.user, "resend", delivery),
        },
    )


@login_required
@require_POST
def delivery_resend(request, pk):
    delivery = get_object_or_404(selectors.deliveries_visible(request.user), pk=pk)
    try:
        services.resend_delivery(actor=request.user, delivery=delivery)
    except DomainError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, _("The delivery is being sent again."))
    return redirect("report_delivery", pk=pk)
