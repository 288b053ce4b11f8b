"""Shared plumbing of the tenant operation endpoints (API-1): the tenant and domain from the URL, 404 for
what the caller cannot see (selectors raise NotFound), the per-request Masker and permissions."""

from __future__ import annotations

from functools import cached_property

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics
from rest_framework.filters import OrderingFilter

from portal.api import ActiveAccountMixin
from tenants import selectors
from tenants.masking import Masker


class TenantScopedView(ActiveAccountMixin, generics.GenericAPIView):
    """``number`` (and ``fqdn``) from the URL resolve through the selectors: unseen → 404."""

    @cached_property
    def tenant(self):
        return selectors.tenant_for(self.request.user, self.kwargs["number"])

    @cached_property
    def labeler(self) -> Masker:
        labeler = Masker(self.request.user)
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
            context["permissions"] = self.permissions
        return context


class ShownOrderingFilter(OrderingFilter):
    """``?ordering=name`` / ``email`` sort by what the viewer reads (the selector's ``shown_name`` /
    ``shown_email``, TEN-4): a masked row never sorts by its real name."""

    aliases = {"name": "shown_name", "email": "shown_email"}

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view) or []
        out = []
        for term in ordering:
            descending = term.startswith("-")
            field = self.aliases.get(term.lstrip("-"), term.lstrip("-"))
            out.append(f"-{field}" if descending else field)
        return out


MASKED_FILTER_BACKENDS = [DjangoFilterBackend, ShownOrderingFilter]
