"""Tenant API (API-1, TEN-1, TEN-3): list/search/sort (also by domain and service counts), detail, create,
rename. 404 for unseen tenants. Domains, services, checks and offers: tenants/api/urls.py."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts.selectors import accounts_visible_to
from portal.api import ActiveAccountMixin
from tenants import selectors, services
from tenants.api.serializers import (
    TenantDetailOutputSerializer,
    TenantInputSerializer,
    TenantOutputSerializer,
    TenantRenameSerializer,
)
from tenants.filtersets import TenantFilterSet


class TenantViewSet(ActiveAccountMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TenantOutputSerializer
    filterset_class = TenantFilterSet
    lookup_field = "number"
    search_fields = ["name", "number"]
    ordering_fields = ["name", "number", "environment", "created_at", "domains_count", "services_count"]
    ordering = ["number"]

    def get_queryset(self):
        return selectors.tenants_visible_to(self.request.user).select_related("reseller")

    @extend_schema(responses=TenantDetailOutputSerializer)
    def retrieve(self, request, *args, **kwargs):
        # One tenant: ask the authority about it, not the whole visible set (selectors.tenant_for).
        tenant = selectors.tenant_for(request.user, kwargs[self.lookup_field])
        return Response(TenantDetailOutputSerializer(tenant, context={"request": request}).data)

    @extend_schema(request=TenantInputSerializer, responses={201: TenantOutputSerializer})
    def create(self, request, *args, **kwargs):
        data = TenantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        number = data.validated_data.get("account")
        account = (
            get_object_or_404(accounts_visible_to(request.user), number=number) if number else request.account
        )
        if account is None:
            return Response(
                {
                    "code": "account_required",
                    "detail": _("Name the owning account."),
                    "fields": {"account": [_("Required.")]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        tenant = services.create_tenant(
            actor=request.user,
            account=account,
            name=data.validated_data["name"],
            environment=data.validated_data["environment"],
            acting_for=request.account,
        )
        tenant = selectors.tenant_for(request.user, tenant.number)  # with its counts
        return Response(TenantOutputSerializer(tenant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TenantRenameSerializer, responses=TenantOutputSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Rename a tenant (``change`` on it): 404 for unseen tenants, 403 when the role may not change it."""
        tenant = self.get_object()
        data = TenantRenameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenant = services.rename_tenant(actor=request.user, tenant=tenant, name=data.validated_data["name"])
        return Response(TenantOutputSerializer(selectors.tenant_for(request.user, tenant.number)).data)
