"""Report API (REP-1..REP-4): thin views over reports.selectors and reports.services.

CSV: ``Accept: text/csv`` or ``?format=csv`` (the licence report streams from PostgreSQL's COPY); statements
also as ``?format=pdf``. Bad parameters answer 400 ``{code, detail, fields}``; unseen objects 404.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from licenses.models import Kind, Status
from portal.api import ActiveAccountMixin
from portal.csv import csv_response, queryset_csv_response
from portal.errors import RuleViolation
from reports import selectors, services
from reports.api.serializers import (
    DeliveryOutputSerializer,
    DestinationInputSerializer,
    DestinationOutputSerializer,
    LicenseReportSerializer,
    StatementSerializer,
    SubscriptionAtCutoffSerializer,
    SubscriptionMonthSerializer,
)


class CSVRenderer(renderers.BaseRenderer):
    """Lets ``Accept: text/csv`` and ``?format=csv`` through content negotiation; the views answer with a
    streamed response of their own."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes | str) else b""


class PDFRenderer(CSVRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None


def _wants(request, fmt: str) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return renderer is not None and renderer.format == fmt


class LicenseReportView(ActiveAccountMixin, APIView):
    """``GET /api/v1/reports/licenses/`` — the licences the caller may see, filtered (kind, status, product,
    group, reseller, customer, issued_from, issued_to); JSON pages, or the whole list as streamed CSV."""

    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=[c for c, _l in Kind.choices]),
            OpenApiParameter("status", OpenApiTypes.STR, enum=[c for c, _l in Status.choices]),
            OpenApiParameter("product", OpenApiTypes.STR, description="Article number"),
            OpenApiParameter("group", OpenApiTypes.STR, description="Product group code"),
            OpenApiParameter(
                "reseller", OpenApiTypes.STR, description="Customer number of the issuing reseller"
            ),
            OpenApiParameter("customer", OpenApiTypes.STR, description="Customer number of the holder"),
            OpenApiParameter("issued_from", OpenApiTypes.DATE),
            OpenApiParameter("issued_to", OpenApiTypes.DATE),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={200: LicenseReportSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request):
        filterset, queryset = selectors.license_report(request.user, request.query_params)
        if filterset.is_bound and not filterset.is_valid():
            raise RuleViolation(
                _("Please check the filters."),
                code="invalid_filter",
                fields={k: [str(m) for m in v] for k, v in filterset.errors.items()},
            )
        if _wants(request, "csv"):
            return queryset_csv_response(
                "lizenzen.csv", selectors.license_header(), selectors.license_rows(queryset)
            )
        from portal.api import Pagination

        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(LicenseReportSerializer(page, many=True).data)


def _month_param(request, name: str = "month", *, required: bool = False) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        if required:
            raise RuleViolation(
                _("Give the month as YYYY-MM."),
                code="month_required",
                fields={name: [_("Required (YYYY-MM).")]},
            )
        return None
    value = selectors.parse_month(raw)
    if value is None:
        raise RuleViolation(
            _("Give the month as YYYY-MM."), code="invalid_month", fields={name: [_("Use YYYY-MM.")]}
        )
    return value


class SubscriptionReportView(ActiveAccountMixin, APIView):
    """``GET /api/v1/reports/subscriptions/?cutoff=YYYY-MM-DD`` (active on that day) or ``?month=YYYY-MM``
    (every subscription in the month with its days and pro-rata share); JSON or CSV."""

    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("cutoff", OpenApiTypes.DATE, description="Active on this day (default today)"),
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM: pro rata by day"),
        ],
        responses={200: SubscriptionMonthSerializer(many=True)},
    )
    def get(self, request):
        month = _month_param(request)
        if month is not None:
            rows = selectors.subscriptions_in_month(request.user, month)
            if _wants(request, "csv"):
                return csv_response(
                    f"abonnements-{month:%Y-%m}.csv", selectors.MONTH_HEADER, selectors.month_csv_rows(rows)
                )
            return Response(
                {
                    "month": f"{month:%Y-%m}",
                    "count": len(rows),
                    "full_month_equivalents": str(sum(r.share for r in rows)),
                    "results": SubscriptionMonthSerializer(rows, many=True).data,
                }
            )
        raw = request.query_params.get("cutoff")
        try:
            cutoff = date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            raise RuleViolation(
                _("Give the cutoff as YYYY-MM-DD."),
                code="invalid_cutoff",
                fields={"cutoff": [_("Use YYYY-MM-DD.")]},
            ) from None
        subs = selectors.active_at(request.user, cutoff)
        if _wants(request, "csv"):
            return csv_response(
                f"abonnements-{cutoff.isoformat()}.csv",
                selectors.CUTOFF_HEADER,
                selectors.cutoff_csv_rows(subs),
            )
        from portal.api import Pagination

        paginator = Pagination()
        page = paginator.paginate_queryset(subs, request, view=self)
        return paginator.get_paginated_response(SubscriptionAtCutoffSerializer(page, many=True).data)


class StatementView(ActiveAccountMixin, APIView):
    """``GET /api/v1/statements/?month=YYYY-MM&reseller=K-…`` — a reseller's monthly statement
    (Einzelkostenaufstellung) as JSON, CSV or PDF (``Accept`` or ``?format=``). ``reseller`` may be left out
    when the caller reads the statements of one reseller only."""

    renderer_classes = [renderers.JSONRenderer, CSVRenderer, PDFRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, required=True, description="YYYY-MM"),
            OpenApiParameter("reseller", OpenApiTypes.STR, description="Customer number of the reseller"),
        ],
        responses={200: StatementSerializer},
    )
    def get(self, request):
        month = _month_param(request, required=True)
        accounts = selectors.statement_accounts(request.user)
        number = request.query_params.get("reseller")
        if number:
            reseller = selectors.statement_account(request.user, number)
        else:
            candidates = list(accounts[:2])
            if len(candidates) != 1:
                if not candidates:
                    return Response(
                        {"code": "not_found", "detail": _("Not found."), "fields": {}},
                        status=status.HTTP_404_NOT_FOUND,
                    )
                raise RuleViolation(
                    _("Name the reseller (its customer number)."),
                    code="reseller_required",
                    fields={"reseller": [_("Required.")]},
                )
            reseller = candidates[0]
        stmt = selectors.statement(reseller, month)
        if _wants(request, "csv"):
            return csv_response(
                selectors.statement_filename(stmt, "csv"),
                selectors.STATEMENT_HEADER,
                selectors.statement_rows(stmt),
            )
        if _wants(request, "pdf"):
            response = HttpResponse(selectors.statement_pdf(stmt), content_type="application/pdf")
            response["Content-Disposition"] = (
                f'inline; filename="{selectors.statement_filename(stmt, "pdf")}"'
            )
            return response
        return Response(StatementSerializer(stmt).data)


class DestinationViewSet(
    ActiveAccountMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Delivery destinations (REP-4): GET lists/reads, POST creates (``Idempotency-Key``), PATCH changes,
    DELETE removes, POST ``{id}/rotate-secret/`` makes a new signing secret."""

    serializer_class = DestinationOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.destinations_visible(self.request.user)

    @extend_schema(request=DestinationInputSerializer, responses={201: DestinationOutputSerializer})
    def create(self, request):
        data = DestinationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        number = values.pop("account", None)
        accounts = selectors.destination_accounts(request.user)
        if number:
            account = get_object_or_404(accounts, number=number)
        else:
            candidates = list(accounts[:2])
            if len(candidates) != 1:
                raise RuleViolation(
                    _("Name the account (its customer number)."),
                    code="account_required",
                    fields={"account": [_("Required.")]},
                )
            account = candidates[0]
        for required in ("name", "kind"):
            if required not in values:
                raise RuleViolation(_("Required."), code="invalid", fields={required: [_("Required.")]})
        destination = services.create_destination(actor=request.user, account=account, **values)
        return Response(DestinationOutputSerializer(destination).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DestinationInputSerializer, responses=DestinationOutputSerializer)
    def partial_update(self, request, pk=None):
        destination = self.get_object()
        data = DestinationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("account", None)
        destination = services.update_destination(actor=request.user, destination=destination, **values)
        return Response(DestinationOutputSerializer(destination).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.delete_destination(actor=request.user, destination=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=DestinationOutputSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        destination = services.rotate_secret(actor=request.user, destination=self.get_object())
        return Response(DestinationOutputSerializer(destination).data)


class DeliveryViewSet(
    ActiveAccountMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The delivery log (REP-4): each delivery with its attempts; POST ``{id}/resend/`` sends it again."""

    serializer_class = DeliveryOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        queryset = (
            selectors.deliveries_visible(self.request.user)
            .prefetch_related("attempt_log")
            .order_by("-created_at", "-pk")
        )
        destination = self.request.query_params.get("destination")
        if destination and destination.isdigit():
            queryset = queryset.filter(destination_id=int(destination))
        return queryset

    @extend_schema(request=None, responses={202: DeliveryOutputSerializer})
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        delivery = services.resend_delivery(actor=request.user, delivery=self.get_object())
        return Response(
            DeliveryOutputSerializer(self.get_queryset().get(pk=delivery.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )
