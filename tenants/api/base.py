"""Shared plumbing of the tenant operation endpoints (API-1): the tenant and domain from the URL, 404 for
what the caller cannot see (selectors raise NotFound), the per-request DomainLabeler and permissions."""

from __future__ import annotations

from functools import cached_property

from rest_framework import generics

from portal.api import ActiveAccountMixin
from tenants import selectors
from tenants.domains import DomainLabeler


class TenantScopedView(ActiveAccountMixin, generics.GenericAPIView):
    """``number`` (and ``fqdn``) from the URL resolve through the selectors: unseen → 404."""

    @cached_property
    def tenant(self):
        return selectors.tenant_for(self.request.user, self.kwargs["number"])

    @cached_property
    def labeler(self) -> DomainLabeler:
        labeler = DomainLabeler(self.request.user)
        if "number" in self.kwargs:  # the tenant's permissions are computed once per request anyway
            labeler.remember(self.tenant.pk, self.permissions.manage_confidential)
        return labeler

    @cached_property
    def domain(self):
        return selectors.domain_for(self.request.user, self.tenant, self.kwargs["fqdn"], labeler=self.labeler)

    @cached_property
    def permissions(self) -> selectors.TenantPermissions:
        return selectors.tenant_permissions(self.request.user, self.tenant)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["labeler"] = self.labeler
        if "number" in self.kwargs:
            context["view_billing"] = self.permissions.view_billing
        return context
