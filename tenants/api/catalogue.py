"""The service catalogue over the API (TEN-5, API-1): read-only for every signed-in user; monthly prices
only for callers who see billing somewhere (never caretakers, partner support or tech)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from portal.api import ActiveAccountMixin
from tenants import selectors
from tenants.filtersets import ServiceTypeFilterSet
from tenants.models import ServiceType


class ServiceTypeSerializer(serializers.ModelSerializer):
    requires = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    billable = serializers.BooleanField(read_only=True)

    class Meta:
        model = ServiceType
        fields = [
            "code",
            "name",
            "description",
            "monthly_price",
            "is_base",
            "billable",
            "requires",
            "position",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("view_prices", False):
            data.pop("monthly_price", None)
        return data


class ServiceTypeMixin(ActiveAccountMixin):
    serializer_class = ServiceTypeSerializer
    lookup_field = "code"

    def get_queryset(self):
        return selectors.service_types(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["view_prices"] = selectors.can_view_prices(self.request.user)
        return context


@extend_schema(tags=["catalogue"])
class ServiceTypeListView(ServiceTypeMixin, generics.ListAPIView):
    """``GET /api/v1/service-types/`` — the active catalogue, base service first."""

    filterset_class = ServiceTypeFilterSet
    ordering_fields = ["code", "name", "monthly_price", "position"]
    ordering = ["-is_base", "position", "name"]
    search_fields: list[str] = []


@extend_schema(tags=["catalogue"])
class ServiceTypeDetailView(ServiceTypeMixin, generics.RetrieveAPIView):
    """``GET /api/v1/service-types/{code}/``."""
