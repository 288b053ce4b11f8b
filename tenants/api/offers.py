"""Offers over the API (TEN-7 "create offer", API-1): create one (201 with its PDF URL), list a tenant's
offers, read one, and download its PDF. Needs ``view_billing`` to see and ``book`` to create (sales)."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from portal.errors import NotPermitted
from tenants import selectors, services
from tenants.api.base import TenantScopedView
from tenants.filtersets import OfferFilterSet
from tenants.models import Offer, OfferLine


class OfferLineOutputSerializer(serializers.ModelSerializer):
    service_type = serializers.CharField(source="service_type.code", read_only=True)
    discount_reason_display = serializers.SerializerMethodField()

    class Meta:
        model = OfferLine
        fields = [
            "position",
            "service_type",
            "name",
            "quantity",
            "unit_price",
            "discount_percent",
            "discount_reason",
            "discount_reason_display",
            "monthly_amount",
        ]

    def get_discount_reason_display(self, line) -> str:
        return services.discount_reason_label(line.discount_reason) if line.discount_reason else ""


class OfferOutputSerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.number", read_only=True)
    lines = OfferLineOutputSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "number",
            "url",
            "pdf_url",
            "tenant",
            "title",
            "note",
            "currency",
            "valid_until",
            "monthly_total",
            "annual_total",
            "created_at",
            "lines",
        ]

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, offer) -> str:
        return self._absolute(reverse("api-offer-detail", args=[offer.pk]))

    def get_pdf_url(self, offer) -> str:
        return self._absolute(reverse("api-offer-pdf", args=[offer.pk]))


class OfferLineInputSerializer(serializers.Serializer):
    service_type = serializers.CharField(max_length=40, help_text="Service code.")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000, required=False, default=1)
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, default=0
    )
    discount_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OfferInputSerializer(serializers.Serializer):
    lines = OfferLineInputSerializer(many=True, allow_empty=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    valid_days = serializers.IntegerField(min_value=1, max_value=365, required=False, default=30)
    add_dependencies = serializers.BooleanField(required=False, default=False)


@extend_schema(tags=["offers"])
class TenantOffersView(mixins.ListModelMixin, TenantScopedView):
    """``GET|POST /api/v1/tenants/{number}/offers/``."""

    # Schema generation only (no request): tells drf-spectacular the model; requests use get_queryset().
    queryset = Offer._default_manager.none()

    serializer_class = OfferOutputSerializer
    filterset_class = OfferFilterSet
    ordering_fields = ["created_at", "monthly_total"]
    ordering = ["-created_at"]
    search_fields: list[str] = []

    def get_queryset(self):
        return selectors.offers_of(self.request.user, self.tenant).prefetch_related("lines__service_type")

    def get(self, request, *args, **kwargs):
        if not self.permissions.view_billing:  # the tenant is visible (else 404): seen but refused
            raise NotPermitted(_("Your role does not allow this here."), code="not_permitted")
        return self.list(request, *args, **kwargs)

    @extend_schema(request=OfferInputSerializer, responses={201: OfferOutputSerializer})
    def post(self, request, *args, **kwargs):
        data = OfferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.create_offer(actor=request.user, tenant=self.tenant, **data.validated_data)
        return Response(
            self.get_serializer(selectors.offer_for(request.user, offer.pk)).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["offers"], responses=OfferOutputSerializer)
class OfferDetailView(TenantScopedView):
    """``GET /api/v1/offers/{id}/``."""

    serializer_class = OfferOutputSerializer

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(selectors.offer_for(request.user, kwargs["pk"])).data)


@extend_schema(
    tags=["offers"],
    responses={
        (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The offer as a PDF.")
    },
)
class OfferPdfView(TenantScopedView):
    """``GET /api/v1/offers/{id}/pdf/`` — rendered from ``tenants/offer_pdf.html`` with WeasyPrint."""

    def get(self, request, *args, **kwargs):
        offer = selectors.offer_for(request.user, kwargs["pk"])
        response = HttpResponse(services.render_offer_pdf(offer), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{offer.number}.pdf"'
        return response
