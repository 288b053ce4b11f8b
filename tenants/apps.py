"""Tenants app: registers its tenant-scoped models with the access authority (TEN-3..TEN-7, API-1)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenants")

    def ready(self):
        from portal import access

        from . import catalogue  # noqa: F401 - connects the m2m guard against dependency cycles
        from .models import (
            BookedService,
            CheckRun,
            Domain,
            Finding,
            Offer,
            OfferLine,
            RegisteredUser,
            Tenant,
        )

        access.register_tenant_model(Tenant, "")
        access.register_tenant_model(Domain, "tenant")
        access.register_tenant_model(RegisteredUser, "domain__tenant")
        access.register_tenant_model(BookedService, "domain__tenant")
        access.register_tenant_model(CheckRun, "tenant")
        access.register_tenant_model(Finding, "run__tenant")
        access.register_tenant_model(Offer, "tenant")
        access.register_tenant_model(OfferLine, "offer__tenant")
        # The catalogue is public to every signed-in user; prices are shown only with view_billing somewhere.
        access.register_account_model("ServiceType", _visible_service_types)


def _visible_service_types(user, action):
    from .models import ServiceType

    if action != "view" and not user.is_superuser:
        return ServiceType.objects.none()
    return ServiceType.objects.all()
