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

    def view_prices(self) -> bool:
        """``selectors.can_view_prices`` once per request: the serializer and the ordering both ask it."""
        if not hasattr(self, "_view_prices"):
            self._view_prices = selectors.can_view_prices(self.request.user)
        return self._view_prices

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["view_prices"] = self.view_prices()
        return context


@extend_schema(tags=["catalogue"])
class ServiceTypeListView(ServiceTypeMixin, generics.ListAPIView):
    """``GET /api/v1/service-types/`` — the active catalogue, base service first."""

    filterset_class = ServiceTypeFilterSet
    ordering = ["-is_base", "position", "name"]
    search_fields: list[str] = []

    @property
    def ordering_fields(self) -> list[str]:
        """Sorting by price is offered only to who sees prices: otherwise ``?ordering=monthly_price`` would
        reveal the price ranking (DEL-3). Unknown fields are ignored, so the default order answers.
        (Asks ``selectors.can_view_prices``, which the authority rewrite is moving into ``portal.access``.)"""
        fields = ["code", "name", "position"]
        if getattr(self, "request", None) is not None and self.view_prices():
            fields.append("monthly_price")
        return fields


@extend_schema(tags=["catalogue"])
class ServiceTypeDetailView(ServiceTypeMixin, generics.RetrieveAPIView):
    """``GET /api/v1/service-types/{code}/``."""
